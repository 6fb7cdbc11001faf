package live

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/internal/netnstest"
)

// TestCaptureVeth captures on one end of a veth pair whose other end lives in a network namespace the test
// creates (and removes): a real Ethernet interface with real MAC addresses. Traffic goes only to the
// namespace's addresses. With 802.1Q support in the kernel, a VLAN on top checks that frames sent over it are
// captured on the parent interface with their tag, even when the kernel strips it (VLAN acceleration).
func TestCaptureVeth(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("the ip command is needed: apt-get install -y iproute2")
	}
	id := os.Getpid() % 10000
	ns := fmt.Sprintf("pcapframe-%d", id)
	a, b := fmt.Sprintf("pfa%d", id), fmt.Sprintf("pfb%d", id)
	run := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	netnstest.Veth(t, ns, a, b, "10.231.0")
	ifc, err := InterfaceByName(a)
	if err != nil {
		t.Fatal(err)
	}
	// match reports whether d is UDP to dst:9999, after tag bytes of 802.1Q header.
	match := func(d []byte, tag int, dst net.IP) bool {
		return len(d) >= 14+tag+28 && binary.BigEndian.Uint16(d[12+tag:]) == 0x0800 && d[14+tag+9] == 17 &&
			net.IP(d[14+tag+16:14+tag+20]).Equal(dst) && binary.BigEndian.Uint16(d[14+tag+22:]) == 9999
	}
	capture := func(t *testing.T, opts Options, dst net.IP, want int, ok func(Frame) bool) []Frame {
		h, err := Open(a, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if h.LinkType() != 1 {
			t.Fatalf("veth link type %d, want Ethernet", h.LinkType())
		}
		conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: dst, Port: 9999})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		deadline := time.Now().Add(10 * time.Second)
		var got, all []Frame
		for sent := 0; len(got) < want && time.Now().Before(deadline); {
			if sent < 2*want {
				conn.Write([]byte("pcapframe veth test"))
				sent++
			}
			bt := NewBatch()
			if _, err := h.ReadBatch(bt, 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			for _, f := range bt.Frames {
				f.Data = append([]byte(nil), f.Data...)
				all = append(all, f)
				if ok(f) {
					got = append(got, f)
				}
			}
		}
		if len(got) < want {
			t.Fatalf("captured %d matching frames on %s (of %d), want %d", len(got), a, len(all), want)
		}
		return all
	}
	t.Run("filter", func(t *testing.T) {
		dst := net.IPv4(10, 231, 0, 2)
		all := capture(t, Options{Filter: "udp and dst host 10.231.0.2 and dst port 9999"}, dst, 20, func(f Frame) bool {
			return match(f.Data, 0, dst) && net.HardwareAddr(f.Data[6:12]).String() == ifc.MAC && f.WireLen == len(f.Data)
		})
		for _, f := range all {
			if !match(f.Data, 0, dst) {
				t.Fatalf("frame %x does not match the filter", f.Data)
			}
		}
	})
	t.Run("vlan", func(t *testing.T) {
		for _, c := range [][]string{
			{"link", "add", "link", a, "name", a + ".7", "type", "vlan", "id", "7"},
			{"addr", "add", "10.231.7.1/24", "dev", a + ".7"},
			{"link", "set", a + ".7", "up"},
			{"-n", ns, "link", "add", "link", b, "name", b + ".7", "type", "vlan", "id", "7"},
			{"-n", ns, "addr", "add", "10.231.7.2/24", "dev", b + ".7"},
			{"-n", ns, "link", "set", b + ".7", "up"},
		} {
			if err := run(c...); err != nil {
				t.Skipf("no 802.1Q VLAN support: %v", err)
			}
		}
		dst := net.IPv4(10, 231, 7, 2)
		// No filter: whether the kernel filter sees the tag depends on the driver's VLAN offload.
		capture(t, Options{}, dst, 20, func(f Frame) bool {
			d := f.Data
			return len(d) > 16 && binary.BigEndian.Uint16(d[12:]) == 0x8100 && binary.BigEndian.Uint16(d[14:])&0xfff == 7 &&
				match(d, 4, dst) && f.WireLen == len(d)
		})
	})
}
