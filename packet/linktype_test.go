package packet_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
)

// udp4 is an IPv4/UDP packet built by hand: 10.0.0.1:1234 -> 10.0.0.2:53 with the 4-byte payload "abcd".
func udp4() []byte {
	b := []byte{
		0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4, total length 32
		0x04, 0xd2, 0, 53, 0, 12, 0, 0, // UDP 1234 -> 53, length 12
		'a', 'b', 'c', 'd',
	}
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(b[10:], ^uint16(sum))
	return b
}

// udp6 is the same datagram over IPv6: 2001:db8::1 -> 2001:db8::2.
func udp6() []byte {
	b := make([]byte, 40, 52)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], 12)
	b[6], b[7] = 17, 64
	copy(b[8:], netip.MustParseAddr("2001:db8::1").AsSlice())
	copy(b[24:], netip.MustParseAddr("2001:db8::2").AsSlice())
	return append(b, 0x04, 0xd2, 0, 53, 0, 12, 0, 0, 'a', 'b', 'c', 'd')
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

var (
	ethIPv4 = []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}
	snapIP  = []byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}
	// An 802.11 data frame to the distribution system (24-byte header), then LLC/SNAP.
	wlanData = cat([]byte{0x08, 0x01, 0, 0, 2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x10, 0}, snapIP)
)

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// linkFrames holds, for each link type the table decodes, frames carrying udp4 (or udp6) built by hand from
// the link type's definition (tcpdump.org/linktypes.html and the headers it links to).
func linkFrames() map[int][][]byte {
	ip := udp4()
	prism := make([]byte, 144) // message code, length 144, device name, ten 12-byte values
	copy(prism, le32(0x44))
	copy(prism[4:], le32(144))
	pktap := make([]byte, 108) // struct pktap_header: length, type 1 (a packet), the frame's link type (Ethernet)
	copy(pktap, le32(108))
	copy(pktap[4:], le32(1))
	copy(pktap[8:], le32(1))
	pktapRaw := bytes.Clone(pktap) // the same with a raw IP frame
	copy(pktapRaw[8:], le32(packet.LinkRaw))
	pflog := make([]byte, 64) // length 61 (padded to 64), AF_INET
	pflog[0], pflog[1] = 61, 2
	ipoib := make([]byte, 44)
	ipoib[40], ipoib[41] = 0x08, 0x00
	nflogTLV := cat(binary.LittleEndian.AppendUint16(nil, uint16(4+len(ip))), []byte{9, 0}, ip)
	return map[int][][]byte{
		packet.LinkNull:     {cat(le32(2), ip)},
		packet.LinkEthernet: {cat(ethIPv4, ip)},
		packet.LinkPPP:      {cat([]byte{0xff, 0x03, 0x00, 0x21}, ip), cat([]byte{0x00, 0x21}, ip), cat([]byte{0x21}, ip)},
		packet.LinkFDDI:     {cat([]byte{0x50, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}, snapIP, ip)},
		packet.LinkRawOld:   {ip},
		packet.LinkRawOBSD:  {ip},
		packet.LinkPPPHDLC:  {cat([]byte{0xff, 0x03, 0x00, 0x21}, ip), cat([]byte{0x0f, 0x00, 0x08, 0x00}, ip)},
		packet.LinkRaw:      {ip, udp6()},
		packet.LinkCHDLC:    {cat([]byte{0x0f, 0x00, 0x08, 0x00}, ip)},
		packet.Link80211:    {cat(wlanData, ip)},
		packet.LinkLoop:     {cat([]byte{0, 0, 0, 2}, ip)},
		packet.LinkSLL:      {cat([]byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00}, ip)},
		packet.LinkPFLog:    {cat(pflog, ip)},
		packet.LinkPrism:    {cat(prism, wlanData, ip)},
		packet.LinkRadiotap: {cat([]byte{0, 0, 8, 0, 0, 0, 0, 0}, wlanData, ip)},
		packet.LinkPKTAPOld: {cat(pktap, ethIPv4, ip)},
		packet.LinkPPI:      {cat([]byte{0, 0, 8, 0}, le32(105), wlanData, ip), cat([]byte{0, 0, 8, 0}, le32(1), ethIPv4, ip)},
		packet.LinkPPPDir:   {cat([]byte{0x00, 0xff, 0x03, 0x00, 0x21}, ip), cat([]byte{0x01, 0xff, 0x03, 0x00, 0x21}, ip)},
		packet.LinkIPv4:     {ip},
		packet.LinkIPv6:     {udp6()},
		packet.LinkNFLOG:    {cat([]byte{2, 0, 0, 0}, nflogTLV)},
		packet.LinkIPoIB:    {cat(ipoib, ip)},
		packet.LinkPKTAP:    {cat(pktap, ethIPv4, ip), cat(pktapRaw, ip)},
		packet.LinkSLL2:     {cat([]byte{0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0}, ip)},
	}
}

// noIP lists the link types gopacket (and so `pcapframe show`) decodes that cannot carry IP.
var noIP = map[int]string{
	220: "Linux USB: USB request blocks, no network layer",
}

// showDecodes reports whether gopacket, which `pcapframe show` dissects with, has a decoder for a link type.
func showDecodes(lt int) bool {
	g := gopacket.NewPacket(make([]byte, 64), layers.LinkType(lt), gopacket.Default)
	if f, ok := g.Layers()[0].(*gopacket.DecodeFailure); ok && strings.Contains(f.Error().Error(), "Unable to decode LinkType") {
		return false
	}
	return true
}

// TestLinkTypesShowAndTable keeps `pcapframe show` (gopacket's decoders) and the packet table (packet.Decoder)
// in step: every link type gopacket decodes must have frames here, and on each frame of every link type the
// table must give the addresses, ports and payload of the datagram inside it; where gopacket decodes the link
// type, gopacket must find the same (which also checks the hand-built frame).
func TestLinkTypesShowAndTable(t *testing.T) {
	frames := linkFrames()
	for lt := range layers.LinkTypeMetadata {
		if !showDecodes(lt) {
			continue
		}
		if _, ok := noIP[lt]; ok {
			continue
		}
		if len(frames[lt]) == 0 {
			t.Errorf("gopacket (show) decodes link type %d (%s): the packet table must too, and this test needs a frame of it",
				lt, layers.LinkTypeMetadata[lt].Name)
		}
	}
	cols := map[string]func(*packet.Packet, []byte) ([]byte, bool){}
	ints := map[string]func(*packet.Packet) (int64, bool){}
	for _, c := range packet.Table.Columns {
		if c.Append != nil {
			cols[c.Name] = c.Append
		}
		if c.Int != nil {
			ints[c.Name] = c.Int
		}
	}
	dec := packet.NewDecoder()
	for lt, fs := range frames {
		for i, data := range fs {
			t.Run(fmt.Sprintf("%d/%d", lt, i), func(t *testing.T) {
				wantSrc, wantDst := "10.0.0.1", "10.0.0.2"
				if bytes.HasSuffix(data, udp6()) {
					wantSrc, wantDst = "2001:db8::1", "2001:db8::2"
				}
				var p packet.Packet
				dec.Decode(&p, packet.Meta{LinkType: int32(lt), CapLen: int32(len(data)), WireLen: int32(len(data))}, data)
				src, _ := cols["src"](&p, nil)
				dst, _ := cols["dst"](&p, nil)
				sport, _ := ints["sport"](&p)
				dport, _ := ints["dport"](&p)
				pay, _ := ints["payload"](&p)
				if string(src) != wantSrc || string(dst) != wantDst || sport != 1234 || dport != 53 || pay != 4 {
					t.Errorf("table: %s:%d -> %s:%d payload %d (protocols %q, note %q), want %s:1234 -> %s:53 payload 4",
						src, sport, dst, dport, pay, p.Protocols(), p.Note, wantSrc, wantDst)
				}
				if !showDecodes(lt) {
					return // show decodes no further than the link type; the table goes further
				}
				g := gopacket.NewPacket(data, layers.LinkType(lt), gopacket.Default)
				if g.NetworkLayer() == nil || g.TransportLayer() == nil {
					t.Fatalf("gopacket finds no IP/UDP in the frame: %v", g)
				}
				nsrc, ndst := g.NetworkLayer().NetworkFlow().Endpoints()
				tsrc, tdst := g.TransportLayer().TransportFlow().Endpoints()
				if nsrc.String() != wantSrc || ndst.String() != wantDst || tsrc.String() != "1234" || tdst.String() != "53" {
					t.Errorf("gopacket: %s:%s -> %s:%s", nsrc, tsrc, ndst, tdst)
				}
			})
		}
	}
}

// linkTypesCapture holds the frames of linkFrames, one pcapng interface per link type, so that tshark dissects
// them too: scripts/golden-packets.sh writes its golden file and TestGoldenTshark compares the table with it.
const linkTypesCapture = "../testdata/pcaps/pcapframe__linktypes.pcapng"

// TestLinkTypesCapture checks that the capture holds exactly the frames of linkFrames, in link type order; with
// PCAPFRAME_WRITE_LINKTYPES=1 it writes the capture first (then run scripts/golden-packets.sh).
func TestLinkTypesCapture(t *testing.T) {
	frames := linkFrames()
	lts := make([]int, 0, len(frames))
	for lt := range frames {
		lts = append(lts, lt)
	}
	slices.Sort(lts)
	if os.Getenv("PCAPFRAME_WRITE_LINKTYPES") == "1" {
		var buf bytes.Buffer
		w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: layers.LinkType(lts[0]), SnapLength: 65535, TimestampResolution: 6},
			pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "pcapframe packet/linktype_test.go"}})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[int]int{lts[0]: 0}
		for _, lt := range lts[1:] {
			id, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkType(lt), SnapLength: 65535, TimestampResolution: 6})
			if err != nil {
				t.Fatal(err)
			}
			ids[lt] = id
		}
		n := 0
		for _, lt := range lts {
			for _, data := range frames[lt] {
				n++
				ci := gopacket.CaptureInfo{Timestamp: time.Unix(1764979200+int64(n), 0), CaptureLength: len(data), Length: len(data), InterfaceIndex: ids[lt]}
				if err := w.WritePacket(ci, data); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(linkTypesCapture, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := capture.Open(linkTypesCapture)
	if err != nil {
		t.Fatalf("%v (write it with PCAPFRAME_WRITE_LINKTYPES=1)", err)
	}
	defer r.Close()
	for _, lt := range lts {
		for i, data := range frames[lt] {
			rec, err := r.Next()
			if err != nil {
				t.Fatalf("link type %d frame %d: %v (rewrite the capture with PCAPFRAME_WRITE_LINKTYPES=1)", lt, i, err)
			}
			if int(rec.LinkType) != lt || !bytes.Equal(rec.Data, data) {
				t.Fatalf("frame %d: link type %d, want %d, or other bytes (rewrite the capture with PCAPFRAME_WRITE_LINKTYPES=1)", rec.Frame, rec.LinkType, lt)
			}
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("more frames than linkFrames: %v", err)
	}
}

// TestLinkTypesFlows gives the flow tracker the link-type capture: every frame, whatever its link type, joins
// the conversation of the datagram it carries (one IPv4 flow, one IPv6 flow), so no link type the table decodes
// loses its conversations.
func TestLinkTypesFlows(t *testing.T) {
	metas, datas := frames(t, "pcapframe__linktypes.pcapng")
	want := map[string]int64{}
	for _, fs := range linkFrames() {
		for _, data := range fs {
			if bytes.HasSuffix(data, udp6()) {
				want["2001:db8::1:1234 2001:db8::2:53"]++
			} else {
				want["10.0.0.1:1234 10.0.0.2:53"]++
			}
		}
	}
	got := map[string]int64{}
	payload := map[string]int64{}
	tr := flow.NewTracker(flow.Options{}, func(f *flow.Flow) error {
		k := fmt.Sprintf("%s:%d %s:%d", f.OrigH, f.OrigP, f.RespH, f.RespP)
		got[k] += f.OrigPkts + f.RespPkts
		payload[k] += f.OrigBytes + f.RespBytes
		return nil
	})
	dec := packet.NewDecoder()
	for i := range datas {
		var p packet.Packet
		dec.Decode(&p, metas[i], datas[i])
		if err := tr.Add(&p); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	for k, n := range want {
		if got[k] != n || payload[k] != 4*n {
			t.Errorf("flow %s: %d packets, %d payload bytes; want %d and %d", k, got[k], payload[k], n, 4*n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("flows %v, want %v", got, want)
	}
}
