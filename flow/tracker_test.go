package flow_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/flow"
)

const (
	cli = "10.0.0.1"
	srv = "10.0.0.2"
)

// TestTrackerTCPCases checks conn_state, history, byte counts and missed bytes on hand-built connections whose
// right answers follow from Zeek's documented definitions.
func TestTrackerTCPCases(t *testing.T) {
	req, resp := []byte("GET / HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\n\r\nhello")
	wrapISN := uint32(0xffffffff - 20)
	cases := []struct {
		name       string
		segs       []seg
		state      string
		history    string
		origBytes  int64
		respBytes  int64
		missed     int64
		service    string
		origPkts   int64
		respPkts   int64
		flows      int
		firstReson flow.EndReason
	}{
		{name: "complete", segs: handshake(10*sec, cli, srv, 40000, 80, 1000, 5000, req, resp), state: "SF", history: "ShADdFf",
			origBytes: int64(len(req)), respBytes: int64(len(resp)), service: "http", origPkts: 5, respPkts: 3, flows: 1, firstReson: flow.EndFlush},
		{name: "syn only", segs: []seg{{t: sec, src: cli, dst: srv, sp: 1, dp: 22, flags: fSYN, seq: 7}, {t: 2 * sec, src: cli, dst: srv, sp: 1, dp: 22, flags: fSYN, seq: 7}},
			state: "S0", history: "S", origPkts: 2, flows: 1, firstReson: flow.EndFlush},
		{name: "rejected", segs: []seg{{t: sec, src: cli, dst: srv, sp: 1, dp: 22, flags: fSYN, seq: 7}, {t: sec + 1e6, src: srv, dst: cli, sp: 22, dp: 1, flags: fRST | fACK, ack: 8}},
			state: "REJ", history: "Sr", origPkts: 1, respPkts: 1, flows: 1, firstReson: flow.EndFlush},
		{name: "syn then rst", segs: []seg{{t: sec, src: cli, dst: srv, sp: 1, dp: 22, flags: fSYN, seq: 7}, {t: sec + 1e6, src: cli, dst: srv, sp: 1, dp: 22, flags: fRST, seq: 8}},
			state: "RSTOS0", history: "SR", origPkts: 2, flows: 1, firstReson: flow.EndFlush},
		{name: "syn then fin", segs: []seg{{t: sec, src: cli, dst: srv, sp: 1, dp: 22, flags: fSYN, seq: 7}, {t: sec + 1e6, src: cli, dst: srv, sp: 1, dp: 22, flags: fFIN | fACK, seq: 8}},
			state: "SH", history: "SF", origPkts: 2, flows: 1, firstReson: flow.EndFlush},
		{name: "midstream", segs: []seg{
			{t: sec, src: cli, dst: srv, sp: 1, dp: 9000, flags: fACK | fPSH, seq: 100, ack: 900, data: []byte("abcd")},
			{t: sec + 1, src: srv, dst: cli, sp: 9000, dp: 1, flags: fACK | fPSH, seq: 900, ack: 104, data: []byte("xy")},
		}, state: "OTH", history: "Dd", origBytes: 4, respBytes: 2, origPkts: 1, respPkts: 1, flows: 1, firstReson: flow.EndFlush},
		{name: "rst mid-stream", segs: append(handshake(sec, cli, srv, 40000, 80, 1000, 5000, req, resp)[:5],
			seg{t: 2 * sec, src: cli, dst: srv, sp: 40000, dp: 80, flags: fRST, seq: 1001 + uint32(len(req))}),
			state: "RSTO", history: "ShADdR", origBytes: int64(len(req)), respBytes: int64(len(resp)), service: "http", origPkts: 4, respPkts: 2, flows: 1, firstReson: flow.EndFlush},
		{name: "sequence wrap", segs: []seg{
			{t: sec, src: cli, dst: srv, sp: 5, dp: 6, flags: fSYN, seq: wrapISN},
			{t: sec + 1, src: srv, dst: cli, sp: 6, dp: 5, flags: fSYN | fACK, seq: 1, ack: wrapISN + 1},
			{t: sec + 2, src: cli, dst: srv, sp: 5, dp: 6, flags: fACK, seq: wrapISN + 1, ack: 2, data: bytes.Repeat([]byte("a"), 15)},
			{t: sec + 3, src: cli, dst: srv, sp: 5, dp: 6, flags: fACK, seq: wrapISN + 16, ack: 2, data: bytes.Repeat([]byte("b"), 15)},
			{t: sec + 4, src: cli, dst: srv, sp: 5, dp: 6, flags: fACK, seq: wrapISN + 31, ack: 2, data: bytes.Repeat([]byte("c"), 15)},
			{t: sec + 5, src: srv, dst: cli, sp: 6, dp: 5, flags: fACK, seq: 2, ack: wrapISN + 46},
		}, state: "S1", history: "ShDa", origBytes: 45, origPkts: 4, respPkts: 2, flows: 1, firstReson: flow.EndFlush},
		{name: "missing segment acked", segs: []seg{
			{t: sec, src: cli, dst: srv, sp: 5, dp: 6, flags: fSYN, seq: 100},
			{t: sec + 1, src: srv, dst: cli, sp: 6, dp: 5, flags: fSYN | fACK, seq: 1, ack: 101},
			{t: sec + 2, src: cli, dst: srv, sp: 5, dp: 6, flags: fACK, seq: 101, ack: 2, data: bytes.Repeat([]byte("a"), 10)},
			// 10 bytes at 111 never captured
			{t: sec + 3, src: cli, dst: srv, sp: 5, dp: 6, flags: fACK, seq: 121, ack: 2, data: bytes.Repeat([]byte("c"), 10)},
			{t: sec + 4, src: srv, dst: cli, sp: 6, dp: 5, flags: fACK, seq: 2, ack: 131},
			// and 5 more acknowledged at the end without ever being seen
			{t: sec + 5, src: srv, dst: cli, sp: 6, dp: 5, flags: fACK, seq: 2, ack: 136},
		}, state: "S1", history: "ShDaG", origBytes: 35, missed: 15, origPkts: 3, respPkts: 3, flows: 1, firstReson: flow.EndFlush},
		{name: "overlapping retransmission with other bytes", segs: []seg{
			{t: sec, src: cli, dst: srv, sp: 5, dp: 6, flags: fSYN, seq: 100},
			{t: sec + 1, src: srv, dst: cli, sp: 6, dp: 5, flags: fSYN | fACK, seq: 1, ack: 101},
			{t: sec + 2, src: cli, dst: srv, sp: 5, dp: 6, flags: fACK, seq: 101, ack: 2, data: []byte("0123456789")},
			{t: sec + 3, src: cli, dst: srv, sp: 5, dp: 6, flags: fACK, seq: 106, ack: 2, data: []byte("XXXXXabcde")},
		}, state: "S1", history: "ShDT", origBytes: 15, origPkts: 3, respPkts: 1, flows: 1, firstReson: flow.EndFlush},
		{name: "payload cut by the snap length", segs: []seg{
			{t: sec, src: cli, dst: srv, sp: 5, dp: 6, flags: fSYN, seq: 100},
			{t: sec + 1, src: cli, dst: srv, sp: 5, dp: 6, flags: fACK, seq: 101, data: make([]byte, 100), truncateTo: 64},
		}, state: "S0", history: "SDG", origBytes: 100, missed: 90, origPkts: 2, flows: 1, firstReson: flow.EndFlush},
		{name: "closed then linger then late ack", segs: append(handshake(sec, cli, srv, 40000, 80, 1000, 5000, req, resp),
			seg{t: 60 * sec, src: srv, dst: cli, sp: 80, dp: 40000, flags: fACK, seq: 5002 + uint32(len(resp)), ack: 1002 + uint32(len(req))}),
			state: "SF", history: "ShADdFf", origBytes: int64(len(req)), respBytes: int64(len(resp)), service: "http", origPkts: 5, respPkts: 3, flows: 2, firstReson: flow.EndClosed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			flows := track(t, flow.Options{}, decodeAll(c.segs))
			if len(flows) != c.flows {
				t.Fatalf("got %d flows, want %d", len(flows), c.flows)
			}
			f := flows[0]
			got := []any{f.State.String(), f.History(), f.OrigBytes, f.RespBytes, f.MissedBytes, f.Service, f.OrigPkts, f.RespPkts, f.Reason}
			want := []any{c.state, c.history, c.origBytes, c.respBytes, c.missed, c.service, c.origPkts, c.respPkts, c.firstReson}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("state, history, orig_bytes, resp_bytes, missed, service, orig_pkts, resp_pkts, reason:\ngot  %v\nwant %v", got, want)
					break
				}
			}
			if f.OrigH != netip.MustParseAddr(c.segs[0].src) {
				t.Errorf("orig_h = %v, want %v", f.OrigH, c.segs[0].src)
			}
			if want := flow.CommunityID(f.OrigH, f.RespH, f.Proto, f.OrigP, f.RespP); f.CommunityID() != want {
				t.Errorf("community_id = %s, want %s", f.CommunityID(), want)
			}
			if c.flows == 2 && flows[1].Stream != f.Stream {
				t.Errorf("late packets got stream %d, want the connection's %d", flows[1].Stream, f.Stream)
			}
		})
	}
}

// TestTrackerDeterministicUID checks that uids depend only on the capture, and differ between flows.
func TestTrackerDeterministicUID(t *testing.T) {
	segs := append(handshake(sec, cli, srv, 40000, 80, 1, 2, []byte("a"), []byte("b")), handshake(2*sec, cli, srv, 40001, 80, 1, 2, []byte("a"), []byte("b"))...)
	a, b := track(t, flow.Options{}, decodeAll(segs)), track(t, flow.Options{}, decodeAll(segs))
	if a[0].UID() != b[0].UID() || a[1].UID() != b[1].UID() || a[0].UID() == a[1].UID() {
		t.Errorf("uids %s %s / %s %s", a[0].UID(), a[1].UID(), b[0].UID(), b[1].UID())
	}
	if u := a[0].UID(); u[0] != 'C' || len(u) < 10 {
		t.Errorf("uid %q", u)
	}
}

// TestTrackerFlipsSYNACK checks that a capture starting with the SYN-ACK makes its receiver the originator.
func TestTrackerFlipsSYNACK(t *testing.T) {
	segs := handshake(sec, cli, srv, 40000, 80, 1000, 5000, []byte("q"), []byte("r"))[1:]
	f := track(t, flow.Options{}, decodeAll(segs))[0]
	if f.OrigH.String() != cli || f.OrigP != 40000 || f.History()[0] != '^' || f.State.String() != "SF" {
		t.Errorf("orig %v:%d history %q state %s", f.OrigH, f.OrigP, f.History(), f.State)
	}
}

// TestTrackerUDPAndICMP checks UDP and ICMP flows: both directions in one flow, Zeek's UDP states, ICMP ports.
func TestTrackerUDPAndICMP(t *testing.T) {
	segs := []seg{
		{t: sec, src: cli, dst: "8.8.8.8", sp: 5353, dp: 53, proto: 17, data: make([]byte, 30)},
		{t: sec + 1, src: "8.8.8.8", dst: cli, sp: 53, dp: 5353, proto: 17, data: make([]byte, 60)},
		{t: sec + 2, src: cli, dst: "8.8.4.4", sp: 5353, dp: 53, proto: 17, data: make([]byte, 30)},
		{t: sec + 3, src: cli, dst: srv, proto: 1, icmpType: 8, data: make([]byte, 56)},
		{t: sec + 4, src: srv, dst: cli, proto: 1, icmpType: 0, data: make([]byte, 56)},
		{t: sec + 5, src: srv, dst: cli, proto: 1, icmpType: 3, icmpCode: 3, data: make([]byte, 28)},
	}
	flows := track(t, flow.Options{}, decodeAll(segs))
	if len(flows) != 4 {
		t.Fatalf("%d flows", len(flows))
	}
	type row struct {
		proto, state, hist string
		op, rp             uint16
		ob, rb, stream     int64
	}
	var got []row
	for _, f := range flows {
		h := f.History()
		got = append(got, row{f.ProtoName(), f.State.String(), h, f.OrigP, f.RespP, f.OrigBytes, f.RespBytes, f.Stream})
	}
	want := []row{
		{"udp", "SF", "Dd", 5353, 53, 30, 60, 0},
		{"udp", "S0", "D", 5353, 53, 30, 0, 1},
		{"icmp", "OTH", "", 8, 0, 56, 56, -1},
		{"icmp", "OTH", "", 3, 3, 28, 0, -1},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("flow %d: got %+v want %+v", i, got[i], want[i])
		}
	}
	if flows[0].Service != "dns" {
		t.Errorf("service %q", flows[0].Service)
	}
}

// TestTrackerTimeoutsAndEviction checks idle timeouts in packet time and the flow cap.
func TestTrackerTimeoutsAndEviction(t *testing.T) {
	mk := func(ts int64, sp uint16) seg {
		return seg{t: ts, src: cli, dst: srv, sp: sp, dp: 53, proto: 17, data: []byte("x")}
	}
	t.Run("udp idle splits, stream index kept", func(t *testing.T) {
		flows := track(t, flow.Options{}, decodeAll([]seg{mk(0, 1), mk(30*sec, 1), mk(200*sec, 1)}))
		if len(flows) != 2 || flows[0].Reason != flow.EndIdle || flows[0].OrigPkts != 2 || flows[1].Stream != flows[0].Stream {
			t.Fatalf("%+v", flows)
		}
	})
	t.Run("never", func(t *testing.T) {
		flows := track(t, flow.Options{UDPTimeout: -1}, decodeAll([]seg{mk(0, 1), mk(1e6*sec, 1)}))
		if len(flows) != 1 {
			t.Fatalf("%d flows", len(flows))
		}
	})
	t.Run("eviction", func(t *testing.T) {
		var segs []seg
		for i := range 10 {
			segs = append(segs, mk(int64(i), uint16(100+i)))
		}
		var n int
		tr := flow.NewTracker(flow.Options{MaxFlows: 3}, func(*flow.Flow) error { n++; return nil })
		pk := decodeAll(segs)
		for i := range pk {
			tr.Add(&pk[i])
		}
		if st := tr.Stats(); st.Evicted != 7 || st.MaxActive != 3 {
			t.Errorf("%+v", st)
		}
		tr.Close()
		if n != 10 {
			t.Errorf("%d flows emitted", n)
		}
	})
}

// TestTrackerStreamNumbersMatchTshark builds a capture with port reuse (a new SYN with a new ISN on a closed
// connection's ports, a retransmitted SYN with the same ISN) and UDP, and checks our stream indexes against
// tshark's tcp.stream and udp.stream.
func TestTrackerStreamNumbersMatchTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("tshark is not installed (apt-get install -y tshark; scripts/test.sh installs it)")
	}
	var segs []seg
	segs = append(segs, handshake(sec, cli, srv, 40000, 80, 1000, 5000, []byte("a"), []byte("b"))...)
	segs = append(segs, seg{t: 2 * sec, src: cli, dst: "1.1.1.1", sp: 999, dp: 53, proto: 17, data: []byte("q")})
	segs = append(segs, handshake(3*sec, cli, srv, 40000, 80, 777777, 5000, []byte("c"), []byte("d"))...) // reuse, new ISN
	segs = append(segs, seg{t: 4 * sec, src: cli, dst: srv, sp: 40000, dp: 80, flags: fSYN, seq: 777777}) // same ISN: same stream
	segs = append(segs, seg{t: 5 * sec, src: srv, dst: cli, sp: 53, dp: 999, proto: 17, data: []byte("r")})
	segs = append(segs, handshake(6*sec, cli, srv, 40001, 80, 1, 2, []byte("e"), []byte("f"))...)
	path := writePcap(t, segs)
	out, err := exec.Command("tshark", "-n", "-r", path, "-T", "fields", "-e", "tcp.stream", "-e", "udp.stream").Output()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		want = append(want, strings.TrimSpace(l))
	}
	// Our stream per packet, from Tracker.Last.
	pk := decodeAll(segs)
	tr := flow.NewTracker(flow.Options{}, func(*flow.Flow) error { return nil })
	for i := range pk {
		if err := tr.Add(&pk[i]); err != nil {
			t.Fatal(err)
		}
		f, _ := tr.Last()
		got := strconv.FormatInt(f.Stream, 10)
		if got != want[i] {
			t.Errorf("frame %d: stream %s, tshark %s", i+1, got, want[i])
		}
	}
}

// TestCommunityIDVectors checks Community ID against the specification's published baselines (seed 0 and 1)
// and the two vectors in FEATURES.md.
func TestCommunityIDVectors(t *testing.T) {
	for _, file := range []struct {
		name string
		seed uint16
	}{{"testdata/communityid_baseline_deflt.json", 0}, {"testdata/communityid_baseline_seed1.json", 1}} {
		b, err := os.ReadFile(file.name)
		if err != nil {
			t.Fatal(err)
		}
		var vs []struct {
			Proto        uint8
			Saddr, Daddr string
			Sport, Dport *int
			CommunityID  string `json:"communityid"`
		}
		if err := json.Unmarshal(b, &vs); err != nil {
			t.Fatal(err)
		}
		if len(vs) < 20 {
			t.Fatalf("%s: %d vectors", file.name, len(vs))
		}
		for _, v := range vs {
			sp, dp := 0, 0
			if v.Sport != nil {
				sp, dp = *v.Sport, *v.Dport
			}
			if v.Proto == 1 || v.Proto == 58 {
				// The baselines give ICMP's port equivalents: the code is the second for one-way types.
				if _, _, oneWay := flow.ICMPPorts(v.Proto, uint8(sp), 0); !oneWay {
					dp = 0
				}
			}
			name := v.Saddr + ">" + v.Daddr + "/" + strconv.Itoa(int(v.Proto))
			t.Run(name, func(t *testing.T) {
				got := string(flow.AppendCommunityID(nil, file.seed, netip.MustParseAddr(v.Saddr), netip.MustParseAddr(v.Daddr), v.Proto, uint16(sp), uint16(dp)))
				if got != v.CommunityID {
					t.Errorf("seed %d: got %s want %s", file.seed, got, v.CommunityID)
				}
			})
		}
	}
	for _, v := range []struct {
		src, dst string
		proto    uint8
		sp, dp   uint16
		want     string
	}{
		{"192.168.1.42", "8.8.8.8", 17, 4242, 53, "1:vTdrngJjlP5eZ9mw9JtnKyn99KM="},
		{"1.2.3.4", "43.3.132.3", 6, 4584, 3483, "1:koNcqhFRD5kb254ZrLsdv630jCM="},
	} {
		if got := flow.CommunityID(netip.MustParseAddr(v.src), netip.MustParseAddr(v.dst), v.proto, v.sp, v.dp); got != v.want {
			t.Errorf("%v: got %s", v, got)
		}
	}
}

// TestTrackerNoAllocs checks the fast path: a packet of a flow already tracked allocates nothing.
func TestTrackerNoAllocs(t *testing.T) {
	segs := handshake(sec, cli, srv, 40000, 80, 1000, 5000, []byte("GET /"), []byte("HTTP/1.1 200"))
	pk := decodeAll(segs)
	tr := flow.NewTracker(flow.Options{TCPTimeout: -1}, func(*flow.Flow) error { return nil })
	for i := range pk[:5] {
		tr.Add(&pk[i])
	}
	p := &pk[4]
	if n := testing.AllocsPerRun(1000, func() { tr.Add(p) }); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
	_ = time.Second
}
