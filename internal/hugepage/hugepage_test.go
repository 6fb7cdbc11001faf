package hugepage

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func TestMake(t *testing.T) {
	type rec struct {
		a, b int64
		p    *int
	}
	for _, n := range []int{0, 1, 4096, Size - 1, Size, 3*Size + 12345} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			b := Make[byte](n)
			if len(b) != 0 || cap(b) != n {
				t.Fatalf("len %d cap %d, want 0 %d", len(b), cap(b), n)
			}
			b = b[:n]
			for i := range b {
				if b[i] != 0 {
					t.Fatalf("byte %d is %d", i, b[i])
				}
			}
			if n >= Size && runtime.GOOS == "linux" && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%Size != 0 {
				t.Errorf("%d bytes at %p: not on a huge page boundary", n, unsafe.SliceData(b))
			}
			r := Make[rec](n / 16)
			if len(r) != 0 || cap(r) != n/16 {
				t.Fatalf("records: len %d cap %d", len(r), cap(r))
			}
			x := 7
			r = append(r[:0], rec{p: &x})
			runtime.GC()
			if *r[0].p != 7 {
				t.Fatal("pointer lost")
			}
		})
	}
}

// TestAdvice checks in /proc/self/smaps that the kernel took the advice: the mapping that holds a large slice
// has the huge page flag (hg). It skips where the kernel has no transparent huge pages.
func TestAdvice(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("huge page advice is for Linux")
	}
	if b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil || strings.Contains(string(b), "[never]") {
		t.Skip("no transparent huge pages")
	}
	b := Make[byte](4 * Size)[:4*Size]
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	flags, err := vmFlags(p + Size)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("mapping at %#x has flags %q, without hg", p+Size, flags)
	}
	runtime.KeepAlive(b)
}

// vmFlags returns the VmFlags line of the mapping that holds address p.
func vmFlags(p uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) > 0 && !strings.HasSuffix(fields[0], ":") { // a mapping's first line: "lo-hi perms ..."
			lo, hi, _ := strings.Cut(fields[0], "-")
			a, err1 := strconv.ParseUint(lo, 16, 64)
			z, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && uint64(p) >= a && uint64(p) < z
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	return "", fmt.Errorf("no mapping holds %#x", p)
}
