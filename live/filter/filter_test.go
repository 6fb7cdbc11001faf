package filter

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

func TestErrors(t *testing.T) {
	tests := []struct {
		expr, want string
	}{
		{"tcp port 70000", "illegal port number 70000 > 65535"},
		{"host foo.example", "host names are not resolved"},
		{"vlan 100", `"vlan" is not supported`},
		{"ip and", "syntax error near end of filter"},
		{"tcp[13:3] = 1", "data size must be 1, 2, or 4"},
		{"len / 0 > 1", "division by zero"},
		{"len << 32 > 1", "shift by more than 31 bits"},
		{"net 10.1.2.3/16", "non-network bits set"},
		{"1 > 2", "filter rejects all packets"},
		{"ip6 host 1.2.3.4", "ip6 qualifier applied to an IPv4 address"},
		{"(tcp", `expected ")"`},
		{"tcp )", "syntax error"},
		{"port 80 $", "unexpected character"},
		{strings.Repeat("(", 300) + "tcp" + strings.Repeat(")", 300), "nested too deeply"},
		{"ether proto 42", "up to 1500"},
		{"ip broadcast", "netmask"},
	}
	for _, tt := range tests {
		t.Run(tt.expr[:min(len(tt.expr), 40)], func(t *testing.T) {
			_, err := Compile(tt.expr, LinkEthernet, 65535)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile(%q) error = %v, want one containing %q", tt.expr, err, tt.want)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || msg[0] >= 'A' && msg[0] <= 'Z' {
				t.Errorf("error %q is not one lowercase line", msg)
			}
		})
	}
	if _, err := Compile("tcp", 105, 65535); err == nil {
		t.Error("link type 105 (802.11) compiled, want an error")
	}
}

func TestEmptyMatchesAll(t *testing.T) {
	for _, expr := range []string{"", "  \t"} {
		prog, err := Compile(expr, LinkEthernet, 96)
		if err != nil {
			t.Fatal(err)
		}
		vm, err := bpf.NewVM(prog)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := vm.Run(make([]byte, 200)); n != 96 {
			t.Errorf("%q keeps %d bytes of a 200-byte frame, want the snap length 96", expr, n)
		}
	}
}

// udpFrame is an Ethernet/IPv4/UDP frame to dport.
func udpFrame(dport uint16) []byte {
	f := make([]byte, 14+20+8)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0], ip[9] = 0x45, 17
	binary.BigEndian.PutUint16(ip[2:], 28)
	copy(ip[12:], []byte{127, 0, 0, 1, 127, 0, 0, 1})
	binary.BigEndian.PutUint16(ip[20:], 40000)
	binary.BigEndian.PutUint16(ip[22:], dport)
	return f
}

// TestLongJumps checks a filter whose jumps reach farther than a conditional jump can (255 instructions):
// the compiler must route them through unconditional jumps. The truth is computed directly: port in set.
func TestLongJumps(t *testing.T) {
	var parts []string
	want := map[uint16]bool{}
	for p := uint16(1000); p < 1150; p += 2 {
		parts = append(parts, fmt.Sprintf("udp dst port %d", p))
		want[p] = true
	}
	prog, err := Compile(strings.Join(parts, " or "), LinkEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) < 600 {
		t.Fatalf("program has %d instructions; the test needs one longer than 255", len(prog))
	}
	long := 0
	for _, ins := range prog {
		if j, ok := ins.(bpf.Jump); ok && j.Skip > 255 {
			long++
		}
	}
	if long == 0 {
		t.Error("no jump longer than 255 instructions")
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	for p := uint16(990); p < 1160; p++ {
		n, err := vm.Run(udpFrame(p))
		if err != nil {
			t.Fatal(err)
		}
		if (n > 0) != want[p] {
			t.Errorf("port %d: kept %d bytes, want match=%v", p, n, want[p])
		}
	}
	attachIfLinux(t, prog)
}

func TestTooLong(t *testing.T) {
	var parts []string
	for p := range 300 {
		parts = append(parts, fmt.Sprintf("port %d", p))
	}
	_, err := Compile(strings.Join(parts, " or "), LinkEthernet, 65535)
	if err == nil || !strings.Contains(err.Error(), "more than 4096 instructions") {
		t.Fatalf("error = %v, want too long", err)
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"tcp port 80", "udp and port 5000", "tcp[13] & 2 != 0", "host ::1", "net 10/8",
		"ether host 1:2:3:4:5:6", "not (tcp or udp) and len > 100", "port 80 or 443", "ip[ip[0]&0xf] = 0",
		"portrange 1-100", "(len)", "-len = 1", "ip6 net fe80::/10"} {
		f.Add(s, true)
	}
	frames := synthFrames(50)
	f.Fuzz(func(t *testing.T, expr string, ether bool) {
		link := LinkRaw
		if ether {
			link = LinkEthernet
		}
		prog, err := Compile(expr, link, 65535)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if len(prog) > MaxInstructions {
			t.Fatalf("%d instructions", len(prog))
		}
		if _, err := bpf.Assemble(prog); err != nil {
			t.Fatalf("does not assemble: %v", err)
		}
		vm, err := bpf.NewVM(prog)
		if err != nil {
			t.Fatalf("invalid program: %v", err)
		}
		for _, fr := range frames {
			vm.Run(fr)
		}
	})
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile("tcp and (src port 80 or dst port 443) and not net 10.0.0.0/8 and tcp[13] & 2 != 0", LinkEthernet, 65535); err != nil {
			b.Fatal(err)
		}
	}
}
