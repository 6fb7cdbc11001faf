// Command genhostile writes testdata/hostile/hostile.pcapng: a small capture whose payloads, DNS names, HTTP
// headers, pcapng packet comments and interface name carry strings that would run script or break out of HTML,
// JavaScript or a template if a report did not escape them, plus control characters and invalid UTF-8.
//
//	go run ./internal/report/testdata/genhostile -o testdata/hostile/hostile.pcapng
//
// The output is deterministic (fixed times, no randomness): the report tests read the committed file and check
// that it is what this program writes.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// The hostile strings (the report tests look for them as text on the page).
const (
	ScriptImg = `</script><img src=x onerror=alert(1)>`
	SVGOnload = `"><svg onload=alert(1)>`
	Template  = `{{7*7}}`
	Comment   = `<!--<script>alert(1)</script>-->`
)

func main() {
	out := flag.String("o", "testdata/hostile/hostile.pcapng", "output file")
	flag.Parse()
	b, err := Build()
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genhostile:", err)
		os.Exit(1)
	}
}

type pkt struct {
	layers  []gopacket.SerializableLayer
	comment string
}

// Build returns the capture's bytes.
func Build() ([]byte, error) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{
		Name:        "eth0" + ScriptImg,
		Description: SVGOnload + "\x1b[31m\xff",
		LinkType:    layers.LinkTypeEthernet,
		SnapLength:  65535,
	}, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "genhostile " + Template}})
	if err != nil {
		return nil, err
	}
	macA, _ := net.ParseMAC("02:00:00:00:00:01")
	macB, _ := net.ParseMAC("02:00:00:00:00:02")
	eth := func(v6 bool) *layers.Ethernet {
		t := layers.EthernetTypeIPv4
		if v6 {
			t = layers.EthernetTypeIPv6
		}
		return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: t}
	}
	ip4 := func(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	}
	ip6 := func(src, dst string, proto layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	}
	tcp := func(ip gopacket.NetworkLayer, sp, dp uint16, seq, ack uint32, syn, isAck, psh, fin bool) *layers.TCP {
		t := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, Ack: ack, SYN: syn, ACK: isAck, PSH: psh, FIN: fin, Window: 64240}
		t.SetNetworkLayerForChecksum(ip)
		return t
	}
	udp := func(ip gopacket.NetworkLayer, sp, dp uint16) *layers.UDP {
		u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
		u.SetNetworkLayerForChecksum(ip)
		return u
	}

	request := "GET /" + ScriptImg + " HTTP/1.1\r\nHost: " + SVGOnload + "\r\nX-Template: " + Template +
		"\r\nUser-Agent: " + Comment + "\r\n\r\n"
	response := "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Evil: " + SVGOnload + "\r\n\r\n" + ScriptImg +
		"\x00\x01\x07\x1b[31mred\x1b[0m\xff\xfe\xc3\x28 ${7*7} `backtick` '\u2028' " + Template
	var pkts []pkt
	// TCP: handshake, a hostile HTTP request and response, FIN.
	a, b := "10.0.0.1", "10.0.0.2"
	c2s := ip4(a, b, layers.IPProtocolTCP)
	s2c := ip4(b, a, layers.IPProtocolTCP)
	pkts = append(pkts,
		pkt{layers: []gopacket.SerializableLayer{eth(false), c2s, tcp(c2s, 40000, 80, 1000, 0, true, false, false, false)}, comment: ScriptImg},
		pkt{layers: []gopacket.SerializableLayer{eth(false), s2c, tcp(s2c, 80, 40000, 5000, 1001, true, true, false, false)}},
		pkt{layers: []gopacket.SerializableLayer{eth(false), c2s, tcp(c2s, 40000, 80, 1001, 5001, false, true, false, false)}, comment: "ctl\x00\x1b[2J\xff" + SVGOnload},
		pkt{layers: []gopacket.SerializableLayer{eth(false), c2s, tcp(c2s, 40000, 80, 1001, 5001, false, true, true, false), gopacket.Payload(request)}, comment: Template},
		pkt{layers: []gopacket.SerializableLayer{eth(false), s2c, tcp(s2c, 80, 40000, 5001, 1001+uint32(len(request)), false, true, true, false), gopacket.Payload(response)}},
		pkt{layers: []gopacket.SerializableLayer{eth(false), c2s, tcp(c2s, 40000, 80, 1001+uint32(len(request)), 5001+uint32(len(response)), false, true, false, true)}},
	)
	// DNS: a query and an answer whose name is hostile.
	dnsIP := ip4(a, "10.0.0.3", layers.IPProtocolUDP)
	name := []byte(ScriptImg + "." + Template + ".example")
	q := &layers.DNS{ID: 0x4242, RD: true, QDCount: 1, Questions: []layers.DNSQuestion{{Name: name, Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	dnsBack := ip4("10.0.0.3", a, layers.IPProtocolUDP)
	ans := &layers.DNS{ID: 0x4242, QR: true, RD: true, RA: true, QDCount: 1, ANCount: 1,
		Questions: []layers.DNSQuestion{{Name: name, Type: layers.DNSTypeA, Class: layers.DNSClassIN}},
		Answers:   []layers.DNSResourceRecord{{Name: name, Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 60, IP: net.ParseIP("10.6.6.6").To4()}}}
	pkts = append(pkts,
		pkt{layers: []gopacket.SerializableLayer{eth(false), dnsIP, udp(dnsIP, 53000, 53), q}},
		pkt{layers: []gopacket.SerializableLayer{eth(false), dnsBack, udp(dnsBack, 53, 53000), ans}},
	)
	// UDP with control characters and invalid UTF-8.
	ctlIP := ip4("10.0.0.4", a, layers.IPProtocolUDP)
	pkts = append(pkts, pkt{layers: []gopacket.SerializableLayer{eth(false), ctlIP, udp(ctlIP, 5000, 6000),
		gopacket.Payload("\x00\x07\x08\x1b[2J\xff\xfe\xc0\xaf" + ScriptImg + "\r\n" + SVGOnload)}})
	// IPv6 with long addresses.
	v6 := ip6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:2", layers.IPProtocolUDP)
	pkts = append(pkts, pkt{layers: []gopacket.SerializableLayer{eth(true), v6, udp(v6, 4444, 4445), gopacket.Payload(SVGOnload + Comment)}})

	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	for i, p := range pkts {
		sb := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(sb, opts, p.layers...); err != nil {
			return nil, fmt.Errorf("packet %d: %w", i+1, err)
		}
		data := sb.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * 10 * time.Millisecond), CaptureLength: len(data), Length: len(data)}
		var po pcapgo.NgPacketOptions
		if p.comment != "" {
			po.Comments = []string{p.comment}
		}
		if err := w.WritePacketWithOptions(ci, data, po); err != nil {
			return nil, err
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
