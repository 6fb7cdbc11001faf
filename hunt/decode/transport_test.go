package decode

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapframe/pcapframe/internal/pcaptest"
)

// txtResponse is a DNS response to a TXT question for name whose answer holds data in strings of 200 bytes.
func txtResponse(t testing.TB, id uint16, name string, data []byte) []byte {
	t.Helper()
	var txts [][]byte
	for len(data) > 0 {
		n := min(len(data), 200)
		txts = append(txts, data[:n])
		data = data[n:]
	}
	m := &layers.DNS{ID: id, QR: true, RD: true, RA: true,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: layers.DNSTypeTXT, Class: layers.DNSClassIN}},
		Answers:   []layers.DNSResourceRecord{{Name: []byte(name), Type: layers.DNSTypeTXT, Class: layers.DNSClassIN, TTL: 1, TXTs: txts}}}
	buf := gopacket.NewSerializeBuffer()
	if err := m.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// TestReadResponsesTransports: responses that reach the client in IP fragments (out of order) and over TCP
// (a message split across segments, two messages in one segment, a message after a hole) are read as the
// tables read them; a response under another domain and one whose TCP connection lost bytes before it are not.
// The capture is written here with gopacket; the expected answers are the bytes put in.
func TestReadResponsesTransports(t *testing.T) {
	const domain = "tx.exfil.test"
	rng := rand.New(rand.NewPCG(3, 4))
	data := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	big, first, second, lost := data(3000), data(700), data(150), data(90)
	path := filepath.Join(t.TempDir(), "transports.pcap")
	fw := pcaptest.Create(t, path, time.Unix(1_700_000_000, 0))
	cli, srv := net.IP{10, 9, 0, 1}, net.IP{10, 9, 0, 53}

	// 1. A UDP response of 3 kB in three IP fragments, sent last first (frames 1-3).
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: srv, DstIP: cli}
	udp := &layers.UDP{SrcPort: 53, DstPort: 40000}
	udp.SetNetworkLayerForChecksum(ip)
	dg := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(dg, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, udp, gopacket.Payload(txtResponse(t, 1, "a1."+domain, big))); err != nil {
		t.Fatal(err)
	}
	whole := dg.Bytes()[20:] // the UDP datagram
	offs := []int{0, 1480, 2960}
	for _, k := range []int{2, 0, 1} {
		end := len(whole)
		if k < 2 {
			end = offs[k+1]
		}
		frag := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: srv, DstIP: cli, Id: 77, FragOffset: uint16(offs[k] / 8)}
		if k < 2 {
			frag.Flags = layers.IPv4MoreFragments
		}
		fw.Frame(frag, gopacket.Payload(whole[offs[k]:end]))
	}
	// 2. A response under another domain (frame 4): not read.
	ip = &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: srv, DstIP: cli}
	udp = &layers.UDP{SrcPort: 53, DstPort: 40001}
	udp.SetNetworkLayerForChecksum(ip)
	fw.Frame(ip, udp, gopacket.Payload(txtResponse(t, 2, "a2.other.test", data(50))))

	// 3. A TCP connection on port 53: two responses, the first split across two segments, the second in the same
	// segment as the first's end (frames 5-11).
	seg := func(fromCli bool, seq, ack uint32, flags string, payload []byte) {
		s, d, sp, dp := srv, cli, layers.TCPPort(53), layers.TCPPort(41000)
		if fromCli {
			s, d, sp, dp = cli, srv, 41000, 53
		}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: s, DstIP: d}
		tcp := &layers.TCP{SrcPort: sp, DstPort: dp, Seq: seq, Ack: ack, Window: 65535, ACK: ack != 0,
			SYN: flags == "S" || flags == "SA", FIN: flags == "F"}
		tcp.SetNetworkLayerForChecksum(ip)
		fw.Frame(ip, tcp, gopacket.Payload(payload))
	}
	framed := func(m []byte) []byte { return binary.BigEndian.AppendUint16(nil, uint16(len(m))) }
	r1, r2 := txtResponse(t, 3, "a3."+domain, first), txtResponse(t, 4, "a4."+domain, second)
	stream := append(append(append(framed(r1), r1...), framed(r2)...), r2...)
	cut := 300
	seg(true, 1000, 0, "S", nil)
	seg(false, 5000, 1001, "SA", nil)
	seg(true, 1001, 5001, "A", nil)
	seg(false, 5001, 1001, "A", stream[:cut])             // frame 8: the first response's beginning
	seg(false, 5001+uint32(cut), 1001, "A", stream[cut:]) // frame 9: its end and the second response
	seg(false, 5001+uint32(len(stream)), 1001, "F", nil)  // frame 10
	seg(true, 1001, 5002+uint32(len(stream)), "F", nil)   // frame 11

	// 4. A TCP connection that lost a segment: the response after the hole is not read (frames 12-16).
	r5 := txtResponse(t, 5, "a5."+domain, lost)
	m5 := append(framed(r5), r5...)
	seg = func(fromCli bool, seq, ack uint32, flags string, payload []byte) {
		s, d, sp, dp := srv, cli, layers.TCPPort(53), layers.TCPPort(42000)
		if fromCli {
			s, d, sp, dp = cli, srv, 42000, 53
		}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: s, DstIP: d}
		tcp := &layers.TCP{SrcPort: sp, DstPort: dp, Seq: seq, Ack: ack, Window: 65535, ACK: ack != 0, SYN: flags == "S" || flags == "SA"}
		tcp.SetNetworkLayerForChecksum(ip)
		fw.Frame(ip, tcp, gopacket.Payload(payload))
	}
	seg(true, 100, 0, "S", nil)
	seg(false, 900, 101, "SA", nil)
	seg(true, 101, 901, "A", nil)
	seg(false, 901+40, 101, "A", m5) // 40 bytes never captured before it
	seg(true, 101, 901, "A", nil)
	fw.Close()

	rs, err := ReadResponses(context.Background(), []string{path}, domain)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		frame int64
		data  []byte
	}{{"a1." + domain, 3, big}, {"a3." + domain, 9, first}, {"a4." + domain, 9, second}}
	if len(rs) != len(want) {
		for _, r := range rs {
			t.Logf("read %s at frame %d", r.Name, r.Frame)
		}
		t.Fatalf("%d responses, want %d", len(rs), len(want))
	}
	for i, w := range want {
		r := rs[i]
		if r.Name != w.name || r.Frame != w.frame || len(r.Answers) != 1 || !bytes.Equal(r.Answers[0].Data, w.data) ||
			r.Client != cli.String() || r.Server != srv.String() {
			t.Errorf("response %d: %s at frame %d, %d answers, client %s server %s; want %s at frame %d", i, r.Name, r.Frame, len(r.Answers), r.Client, r.Server, w.name, w.frame)
		}
	}
}

// TestTCPMessagesBounded: unfinished DNS messages over TCP are held up to maxTCPBuffered bytes in all; a
// direction that would hold more is given up, and what connections give back on End is counted off.
func TestTCPMessagesBounded(t *testing.T) {
	a := &responseReader{}
	var hs []*tcpMessages
	part := append([]byte{0xff, 0xff}, make([]byte, 60000)...) // a 65,535-byte message, not finished
	for i := 0; i < 2*maxTCPBuffered/len(part); i++ {
		h := &tcpMessages{a: a}
		if err := h.Data(false, part, int64(i), 0); err != nil {
			t.Fatal(err)
		}
		if a.buffered > maxTCPBuffered {
			t.Fatalf("%d bytes held after %d connections", a.buffered, i+1)
		}
		hs = append(hs, h)
	}
	dead := 0
	for _, h := range hs {
		if h.dead[1] {
			dead++
		}
	}
	if dead == 0 || dead == len(hs) {
		t.Fatalf("%d of %d directions given up", dead, len(hs))
	}
	for _, h := range hs {
		h.End()
	}
	if a.buffered != 0 {
		t.Errorf("%d bytes still counted after every connection ended", a.buffered)
	}
}

// FuzzTCPMessages feeds a DNS connection's two directions in arbitrary pieces, with a gap: the splitter must not
// panic, must read in one pass the responses a whole stream holds whatever the cuts, and must count off every byte it
// held when the connection ends.
func FuzzTCPMessages(f *testing.F) {
	r := txtResponse(f, 9, "f.fz.test", []byte("fuzz"))
	m := binary.BigEndian.AppendUint16(nil, uint16(len(r)))
	seed := append(append(m, r...), append(m, r...)...)
	f.Add(seed, uint16(3), uint16(40), false)
	f.Add([]byte{0xff, 0xff, 1, 2, 3}, uint16(1), uint16(2), true)
	f.Fuzz(func(t *testing.T, stream []byte, cut1, cut2 uint16, gap bool) {
		c1 := int(cut1) % (len(stream) + 1)
		c2 := c1 + int(cut2)%(len(stream)-c1+1)
		cli, srv := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.53:53")
		whole := &responseReader{dl: Labels("fz.test")}
		h := &tcpMessages{a: whole, orig: cli, resp: srv}
		h.Data(false, stream, 1, 1)
		h.End()
		a := &responseReader{dl: Labels("fz.test")}
		h = &tcpMessages{a: a, orig: cli, resp: srv}
		h.Data(false, stream[:c1], 1, 1)
		h.Data(false, stream[c1:c2], 2, 2)
		if gap {
			h.Gap(false, 10, 3, 3)
		}
		h.Data(false, stream[c2:], 4, 4)
		if bytes.Equal(stream, seed) && len(whole.out) != 2 {
			t.Fatalf("%d responses in the seed's two, read whole", len(whole.out))
		}
		if !gap && len(a.out) != len(whole.out) {
			t.Fatalf("%d responses in three pieces, %d whole", len(a.out), len(whole.out))
		}
		h.End()
		if a.buffered != 0 || whole.buffered != 0 {
			t.Fatalf("%d and %d bytes still counted after End", a.buffered, whole.buffered)
		}
	})
}
