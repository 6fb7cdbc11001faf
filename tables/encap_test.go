package tables_test

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/dns"
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/tables"
)

// TestDNSInTunnelsAndFragments checks that the analyzers see the traffic inside tunnels and the datagrams IP
// fragments complete: DNS inside GRE carrying PPP (arkime), inside GRE (zeek gre-sample), and a response over
// IPv6 in three fragments (zeek ipv6-fragmented-dns). The expected transactions are tshark 4's (two passes,
// reassembly on: `tshark -2 -Y dns -T fields -e frame.number -e dns.id -e dns.flags.response -e dns.qry.name
// -e dns.count.answers`): the response's frame is the one tshark dissects it in, the last fragment.
func TestDNSInTunnelsAndFragments(t *testing.T) {
	type tx struct {
		query          string
		id             uint16
		qframe, rframe int64
		answers        int
	}
	tests := []struct {
		capture string
		want    []tx
	}{
		{"arkime__6-4-gre-ppp-udp-4-dns.pcap", []tx{{"xqt-detect-mode2-97712e88-167a-45b9-93ee-913140e76678", 0xa62c, 1, 2, 0}}},
		{"zeek__ipv6-fragmented-dns.pcap", []tx{
			{"txtpadding_323.n1.netalyzr.icsi.berkeley.edu", 0x0f3f, 1, 2, 1},
			// The query went out twice (frames 3 and 5); the analyzer pairs the response with the later one and
			// keeps frame 3 as a query without response.
			{"txtpadding_3230.n1.netalyzr.icsi.berkeley.edu", 0x9f91, 5, 8, 1},
			{"txtpadding_3230.n1.netalyzr.icsi.berkeley.edu", 0x9f91, 3, 0, 0},
		}},
		{"zeek__tunnels_gre-sample.pcap", []tx{{"www.gleeble.org", 0xbdaa, 33, 0, 0}}}, // four queries, no response
	}
	for _, tc := range tests {
		t.Run(tc.capture, func(t *testing.T) {
			batches := readBatches(t, corpus(t, tc.capture))
			rows := &collect[dns.Row]{}
			runPass(t, batches, []tables.Output{{Def: tables.Lookup("dns"), Writer: rows}}, tables.Options{})
			for _, w := range tc.want {
				i := slices.IndexFunc(rows.rows, func(r dns.Row) bool { return r.TransID == w.id && r.QueryFrame == w.qframe })
				if i < 0 {
					t.Errorf("no row for %+v among %d rows", w, len(rows.rows))
					continue
				}
				r := rows.rows[i]
				if r.Query != w.query || r.ResponseFrame != w.rframe || len(r.Answers) != w.answers {
					t.Errorf("row %q id %#x frames %d/%d, %d answers, note %q; want %+v", r.Query, r.TransID, r.QueryFrame, r.ResponseFrame, len(r.Answers), r.Note, w)
				}
				if w.rframe != 0 && r.Note != "" {
					t.Errorf("%q: note %q", r.Query, r.Note)
				}
			}
		})
	}
}

// TestTunnelParents checks the flows of a VXLAN capture against Zeek's conn.log of the same capture (Zeek's
// baseline testing/btest/Baseline/core.tunnels.analyzer-confirmation/conn.log, run on
// Traces/tunnels/vxlan-encapsulated-http.pcap): the outer UDP flow 10.1.200.131:50000 -> 10.1.1.172:4789 (12
// packets, 10,539 IP bytes, one way; service vxlan) and the inner HTTP connection 172.16.11.201:40354 -> 54.86.237.188:80 (SF,
// ShADadFf, 87 and 9,212 payload bytes, 7 packets and 459 IP bytes, 5 packets and 9,480 IP bytes) whose
// tunnel_parents is the outer flow's uid.
func TestTunnelParents(t *testing.T) {
	batches := readBatches(t, corpus(t, "zeek__tunnels_vxlan-encapsulated-http.pcap"))
	fl := &collect[flow.Flow]{}
	runPass(t, batches, []tables.Output{{Def: tables.Flows, Writer: fl}}, tables.Options{})
	if len(fl.rows) != 2 {
		t.Fatalf("%d flows, Zeek 2: %+v", len(fl.rows), fl.rows)
	}
	var outer, inner *flow.Flow
	for i := range fl.rows {
		switch f := &fl.rows[i]; f.Proto {
		case 17:
			outer = f
		case 6:
			inner = f
		}
	}
	if outer == nil || inner == nil {
		t.Fatalf("flows: %+v", fl.rows)
	}
	type conn struct {
		orig, resp           string
		service              string
		state, history       string
		origBytes, respBytes int64
		origPkts, origIP     int64
		respPkts, respIP     int64
	}
	view := func(f *flow.Flow) conn {
		return conn{netip.AddrPortFrom(f.OrigH, f.OrigP).String(), netip.AddrPortFrom(f.RespH, f.RespP).String(),
			f.Service, f.State.String(), f.History(), f.OrigBytes, f.RespBytes, f.OrigPkts, f.OrigIPBytes, f.RespPkts, f.RespIPBytes}
	}
	if got, want := view(outer), (conn{"10.1.200.131:50000", "10.1.1.172:4789", "vxlan", "S0", "D", 10203, 0, 12, 10539, 0, 0}); got != want {
		t.Errorf("outer flow\n got %+v\nwant %+v (Zeek)", got, want)
	}
	if got, want := view(inner), (conn{"172.16.11.201:40354", "54.86.237.188:80", "http", "SF", "ShADadFf", 87, 9212, 7, 459, 5, 9480}); got != want {
		t.Errorf("inner flow\n got %+v\nwant %+v (Zeek)", got, want)
	}
	if got := inner.TunnelParents(); len(got) != 1 || got[0] != outer.UID() {
		t.Errorf("inner tunnel_parents %v, want [%s]", got, outer.UID())
	}
	if len(outer.TunnelParents()) != 0 {
		t.Errorf("outer flow has tunnel_parents %v", outer.TunnelParents())
	}
}

// TestDNSInVXLAN builds a DNS query and its response for example.com (RFC 1035 wire format, written out by hand
// below) inside VXLAN (UDP 4789, VNI 42, an inner Ethernet frame) and checks that they make one dns row, in a
// flow whose tunnel_parents name the VXLAN flows.
func TestDNSInVXLAN(t *testing.T) {
	query := []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, // id 0x1234, RD, one question
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1} // example.com A IN
	response := append(append([]byte{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}, query[12:]...),
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34) // example.com A 93.184.216.34, TTL 3600
	ipUDP := func(src, dst [4]byte, sport, dport uint16, payload []byte) []byte {
		b := make([]byte, 28, 28+len(payload))
		b[0], b[8], b[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(b[2:4], uint16(28+len(payload)))
		copy(b[12:16], src[:])
		copy(b[16:20], dst[:])
		binary.BigEndian.PutUint16(b[20:22], sport)
		binary.BigEndian.PutUint16(b[22:24], dport)
		binary.BigEndian.PutUint16(b[24:26], uint16(8+len(payload)))
		return append(b, payload...)
	}
	eth := func(payload []byte) []byte {
		return append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}, payload...)
	}
	vxlan := func(outerSrc, outerDst [4]byte, inner []byte) []byte {
		hdr := []byte{0x08, 0, 0, 0, 0, 0, 42, 0} // I flag, VNI 42
		return eth(ipUDP(outerSrc, outerDst, 40000, 4789, append(hdr, eth(inner)...)))
	}
	vtepA, vtepB := [4]byte{192, 0, 2, 1}, [4]byte{192, 0, 2, 2}
	client, server := [4]byte{10, 1, 1, 1}, [4]byte{10, 1, 1, 53}
	frames := [][]byte{
		vxlan(vtepA, vtepB, ipUDP(client, server, 5353, 53, query)),
		vxlan(vtepB, vtepA, ipUDP(server, client, 53, 5353, response)),
	}
	b := &pipeline.Batch{Source: "vxlan"}
	dec := packet.NewDecoder()
	for i, f := range frames {
		var p packet.Packet
		dec.Decode(&p, packet.Meta{Source: "vxlan", Frame: int64(i + 1), Time: int64(i+1) * 1e6, CapLen: int32(len(f)), WireLen: int32(len(f)), LinkType: packet.LinkEthernet}, f)
		b.Packets = append(b.Packets, p)
	}
	rows := &collect[dns.Row]{}
	fl := &collect[flow.Flow]{}
	runPass(t, []*pipeline.Batch{b}, []tables.Output{{Def: tables.Lookup("dns"), Writer: rows}, {Def: tables.Flows, Writer: fl}}, tables.Options{})
	if len(rows.rows) != 1 {
		t.Fatalf("%d dns rows: %+v", len(rows.rows), rows.rows)
	}
	r := rows.rows[0]
	if r.Query != "example.com" || r.TransID != 0x1234 || r.QueryFrame != 1 || r.ResponseFrame != 2 ||
		len(r.Answers) != 1 || r.Answers[0] != "93.184.216.34" || r.Note != "" {
		t.Errorf("row %+v", r)
	}
	var inner *flow.Flow
	vteps := map[string]bool{}
	for i := range fl.rows {
		if f := &fl.rows[i]; f.RespP == 53 {
			inner = f
		} else if f.RespP == 4789 {
			vteps[f.UID()] = true
		}
	}
	if inner == nil || inner.UID() != r.UID || len(inner.TunnelParents()) != 2 {
		t.Fatalf("inner flow %+v (dns row uid %s)", inner, r.UID)
	}
	for _, u := range inner.TunnelParents() {
		if !vteps[u] {
			t.Errorf("tunnel parent %s is no VXLAN flow (%v)", u, vteps)
		}
	}
}
