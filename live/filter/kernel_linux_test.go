package filter

import (
	"fmt"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

func attachIfLinux(t *testing.T, prog []bpf.Instruction) { attach(t, prog) }

// attach loads prog into the kernel on a UDP socket: the kernel's checker must accept it.
func attach(t *testing.T, prog []bpf.Instruction) {
	t.Helper()
	raw, err := bpf.Assemble(prog)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Skipf("no socket: %v", err)
	}
	defer unix.Close(fd)
	filter := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		filter[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}); err != nil {
		t.Fatalf("kernel rejects the program: %v\n%s", err, disasm(prog))
	}
}

// TestKernelAccepts loads every program compiled from the golden expressions into the kernel.
func TestKernelAccepts(t *testing.T) {
	for _, r := range loadGolden(t) {
		prog, err := Compile(r.expr, r.link, 262144)
		if err != nil {
			continue
		}
		t.Run(fmt.Sprintf("%d/%s", r.link, r.expr), func(t *testing.T) { attach(t, prog) })
	}
}
