package tables_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/dns"
	"github.com/pcapframe/pcapframe/flow"
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
// packets, 10,539 IP bytes, one way) and the inner HTTP connection 172.16.11.201:40354 -> 54.86.237.188:80 (SF,
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
		state, history       string
		origBytes, respBytes int64
		origPkts, origIP     int64
		respPkts, respIP     int64
	}
	view := func(f *flow.Flow) conn {
		return conn{netip.AddrPortFrom(f.OrigH, f.OrigP).String(), netip.AddrPortFrom(f.RespH, f.RespP).String(),
			f.State.String(), f.History(), f.OrigBytes, f.RespBytes, f.OrigPkts, f.OrigIPBytes, f.RespPkts, f.RespIPBytes}
	}
	if got, want := view(outer), (conn{"10.1.200.131:50000", "10.1.1.172:4789", "S0", "D", 10203, 0, 12, 10539, 0, 0}); got != want {
		t.Errorf("outer flow\n got %+v\nwant %+v (Zeek)", got, want)
	}
	if got, want := view(inner), (conn{"172.16.11.201:40354", "54.86.237.188:80", "SF", "ShADadFf", 87, 9212, 7, 459, 5, 9480}); got != want {
		t.Errorf("inner flow\n got %+v\nwant %+v (Zeek)", got, want)
	}
	if got := inner.TunnelParents(); len(got) != 1 || got[0] != outer.UID() {
		t.Errorf("inner tunnel_parents %v, want [%s]", got, outer.UID())
	}
	if len(outer.TunnelParents()) != 0 {
		t.Errorf("outer flow has tunnel_parents %v", outer.TunnelParents())
	}
}
