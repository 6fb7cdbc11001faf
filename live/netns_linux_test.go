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

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/pcapframe/pcapframe/internal/netnstest"
)

// TestCaptureVeth captures on one end of a veth pair whose other end lives in a network namespace the test
// creates (and removes): a real Ethernet interface with real MAC addresses. Traffic goes only to the
// namespace's addresses. With 802.1Q support in the kernel, a VLAN on top checks that frames sent over it are
// captured on the parent interface with their tag, even when the kernel strips it (VLAN acceleration); without
// it, tagged frames written on the interface with a packet socket must be captured with their tag.
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
	// udpTo sends a datagram to dst:9999 from this side.
	udpTo := func(t *testing.T, dst net.IP) func() {
		conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: dst, Port: 9999})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return func() { conn.Write([]byte("pcapframe veth test")) }
	}
	// capture captures on a, calling send until want frames for which ok holds were seen (10 s at most).
	capture := func(t *testing.T, opts Options, send func(), want int, ok func(Frame) bool) []Frame {
		h, err := Open(a, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if h.LinkType() != 1 {
			t.Fatalf("veth link type %d, want Ethernet", h.LinkType())
		}
		deadline := time.Now().Add(10 * time.Second)
		var got, all []Frame
		for sent := 0; len(got) < want && time.Now().Before(deadline); {
			if sent < 2*want {
				send()
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
		all := capture(t, Options{Filter: "udp and dst host 10.231.0.2 and dst port 9999"}, udpTo(t, dst), 20, func(f Frame) bool {
			return match(f.Data, 0, dst) && net.HardwareAddr(f.Data[6:12]).String() == ifc.MAC && f.WireLen == len(f.Data)
		})
		for _, f := range all {
			if !match(f.Data, 0, dst) {
				t.Fatalf("frame %x does not match the filter", f.Data)
			}
		}
	})
	t.Run("vlan", func(t *testing.T) {
		dst := net.IPv4(10, 231, 7, 2)
		send, how := func() {}, ""
		for _, c := range [][]string{
			{"link", "add", "link", a, "name", a + ".7", "type", "vlan", "id", "7"},
			{"addr", "add", "10.231.7.1/24", "dev", a + ".7"},
			{"link", "set", a + ".7", "up"},
			{"-n", ns, "link", "add", "link", b, "name", b + ".7", "type", "vlan", "id", "7"},
			{"-n", ns, "addr", "add", "10.231.7.2/24", "dev", b + ".7"},
			{"-n", ns, "link", "set", b + ".7", "up"},
		} {
			if err := run(c...); err != nil {
				how = err.Error()
				break
			}
		}
		if how == "" {
			send = udpTo(t, dst) // through the kernel's VLAN interface
		} else {
			// No 802.1Q in this kernel: the tagged frames are written to a with a packet socket instead, which
			// checks the capture of the tag but not the kernel's VLAN offload.
			t.Logf("no 802.1Q VLAN interface (%s): tagged frames written with a packet socket", how)
			send = injectTagged(t, ifc, dst)
		}
		// No filter: whether the kernel filter sees the tag depends on the driver's VLAN offload.
		capture(t, Options{}, send, 20, func(f Frame) bool {
			d := f.Data
			return len(d) > 16 && binary.BigEndian.Uint16(d[12:]) == 0x8100 && binary.BigEndian.Uint16(d[14:])&0xfff == 7 &&
				match(d, 4, dst) && f.WireLen == len(d)
		})
	})
}

// injectTagged returns a function that writes, on the interface with a packet socket, an Ethernet frame tagged
// with VLAN 7 that carries a UDP datagram to dst:9999 (closed when the test ends).
func injectTagged(t *testing.T, ifc Interface, dst net.IP) func() {
	t.Helper()
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0) // protocol 0: sends only
	if err != nil {
		t.Fatalf("packet socket: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	src, err := net.ParseMAC(ifc.MAC)
	if err != nil {
		t.Fatalf("MAC of %s: %v", ifc.Name, err)
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4(10, 231, 7, 1), DstIP: dst}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 9999}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	err = gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: src, DstMAC: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeIPv4}, ip, udp, gopacket.Payload("pcapframe veth test"))
	if err != nil {
		t.Fatal(err)
	}
	frame := buf.Bytes()
	to := &unix.SockaddrLinklayer{Ifindex: ifc.Index, Protocol: htons(unix.ETH_P_8021Q), Halen: 6}
	copy(to.Addr[:], frame[:6])
	return func() {
		if err := unix.Sendto(fd, frame, 0, to); err != nil {
			t.Errorf("write a tagged frame on %s: %v", ifc.Name, err)
		}
	}
}
