package stream_test

import (
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/stream"
)

// reassemble runs the TCP reassembler over synthetic packets and returns each side's bytes, with "[gap N]"
// where bytes are missing, and the stats.
func reassemble(t testing.TB, ps []pkt, opts stream.Options) (sides [2]string, st stream.Stats) {
	var b [2]strings.Builder
	r := stream.NewTCP(opts, func(c *stream.Chunk) error {
		if c.Gap > 0 {
			b[c.Side].WriteString("[gap " + itoa(c.Gap) + "]")
		} else {
			b[c.Side].Write(c.Data)
		}
		return nil
	})
	pk := build(ps)
	for i := range pk {
		side := stream.Server
		if ps[i].c2s {
			side = stream.Client
		}
		if err := r.Add(&pk[i], side); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return [2]string{b[0].String(), b[1].String()}, r.Stats()
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

// TestTCPReassembly checks the reassembler on the cases the issue names: retransmissions, out-of-order
// segments, overlaps with different bytes (first copy wins, counted), holes (gap, counted), holes explained by
// acknowledgments, a SYN-less start, sequence wrap-around, RST in the middle, snap-length cuts and the buffer cap.
func TestTCPReassembly(t *testing.T) {
	const isn = 1000
	wrap := uint32(0xfffffffa)
	cases := []struct {
		name      string
		ps        []pkt
		opts      stream.Options
		client    string
		server    string
		gaps      int64
		gapBytes  int64
		conflicts int64
		overlap   int64
	}{
		{name: "in order", ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {flags: fSYN | fACK, seq: 50, ack: isn + 1},
			{c2s: true, flags: fACK, seq: isn + 1, ack: 51, data: "hello "}, {c2s: true, flags: fACK, seq: isn + 7, ack: 51, data: "world"},
			{flags: fACK, seq: 51, ack: isn + 12, data: "ok"},
		}, client: "hello world", server: "ok"},
		{name: "retransmission", ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {c2s: true, flags: fACK, seq: isn + 1, data: "abc"}, {c2s: true, flags: fACK, seq: isn + 1, data: "abc"},
			{c2s: true, flags: fACK, seq: isn + 4, data: "def"},
		}, client: "abcdef", overlap: 3},
		{name: "out of order", ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {c2s: true, flags: fACK, seq: isn + 4, data: "def"}, {c2s: true, flags: fACK, seq: isn + 7, data: "ghi"},
			{c2s: true, flags: fACK, seq: isn + 1, data: "abc"},
		}, client: "abcdefghi"},
		{name: "overlap with other bytes, first copy wins", ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {c2s: true, flags: fACK, seq: isn + 1, data: "abcdef"},
			{c2s: true, flags: fACK, seq: isn + 4, data: "XYZghi"},
		}, client: "abcdefghi", conflicts: 3, overlap: 3},
		{name: "overlap among held segments", ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {c2s: true, flags: fACK, seq: isn + 4, data: "defg"},
			{c2s: true, flags: fACK, seq: isn + 6, data: "XXhi"}, {c2s: true, flags: fACK, seq: isn + 1, data: "abc"},
		}, client: "abcdefghi", conflicts: 2, overlap: 2},
		{name: "hole given up at close", ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {c2s: true, flags: fACK, seq: isn + 1, data: "abc"}, {c2s: true, flags: fACK, seq: isn + 8, data: "hij"},
		}, client: "abc[gap 4]hij", gaps: 1, gapBytes: 4},
		{name: "hole explained by an acknowledgment", ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {c2s: true, flags: fACK, seq: isn + 1, data: "abc"}, {c2s: true, flags: fACK, seq: isn + 8, data: "hij"},
			{flags: fACK, seq: 1, ack: isn + 11, data: "resp"},
		}, client: "abc[gap 4]hij", server: "resp", gaps: 1, gapBytes: 4},
		{name: "acknowledged but never captured", ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {c2s: true, flags: fACK, seq: isn + 1, data: "abc"}, {flags: fACK, seq: 1, ack: isn + 10},
		}, client: "abc[gap 6]", gaps: 1, gapBytes: 6},
		{name: "syn-less", ps: []pkt{
			{c2s: true, flags: fACK, seq: 5000, data: "mid"}, {flags: fACK, seq: 7000, ack: 5003, data: "dle"},
			{c2s: true, flags: fACK, seq: 4990, data: "0123456789"}, // older data, before the start we know
			{c2s: true, flags: fACK, seq: 5003, data: "-stream"},
		}, client: "mid-stream", server: "dle", overlap: 10},
		{name: "sequence wrap", ps: []pkt{
			{c2s: true, flags: fSYN, seq: wrap}, {c2s: true, flags: fACK, seq: wrap + 1, data: "abcd"}, {c2s: true, flags: fACK, seq: wrap + 9, data: "ijkl"},
			{c2s: true, flags: fACK, seq: wrap + 5, data: "efgh"},
		}, client: "abcdefghijkl"},
		{name: "rst in the middle", ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {c2s: true, flags: fACK, seq: isn + 1, data: "abc"}, {flags: fRST | fACK, seq: 9, ack: isn + 4},
			{c2s: true, flags: fACK, seq: isn + 4, data: "def"},
		}, client: "abcdef"},
		{name: "snap length cut", ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {c2s: true, flags: fACK, seq: isn + 1, data: "abcdefgh", snap: 3}, {c2s: true, flags: fACK, seq: isn + 9, data: "ij"},
		}, client: "abc[gap 5]ij", gaps: 1, gapBytes: 5},
		{name: "buffer cap", opts: stream.Options{MaxBuffer: 8}, ps: []pkt{
			{c2s: true, flags: fSYN, seq: isn}, {c2s: true, flags: fACK, seq: isn + 1, data: "ab"},
			{c2s: true, flags: fACK, seq: isn + 5, data: "efgh"}, {c2s: true, flags: fACK, seq: isn + 9, data: "ijklm"},
			{c2s: true, flags: fACK, seq: isn + 3, data: "cd"}, // too late: the hole was given up
		}, client: "ab[gap 2]efghijklm", gaps: 1, gapBytes: 2, overlap: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sides, st := reassemble(t, c.ps, c.opts)
			if sides[0] != c.client || sides[1] != c.server {
				t.Errorf("got client %q server %q, want %q %q", sides[0], sides[1], c.client, c.server)
			}
			got := [4]int64{st.Gaps[0] + st.Gaps[1], st.GapBytes[0] + st.GapBytes[1], st.Conflicts[0] + st.Conflicts[1], st.Overlap[0] + st.Overlap[1]}
			want := [4]int64{c.gaps, c.gapBytes, c.conflicts, c.overlap}
			if got != want {
				t.Errorf("gaps, gap bytes, conflicts, overlap: got %v want %v", got, want)
			}
		})
	}
}

// TestUDPFollow checks datagram-by-datagram following.
func TestUDPFollow(t *testing.T) {
	var got []string
	u := stream.NewUDP(func(c *stream.Chunk) error {
		if c.Gap > 0 {
			got = append(got, c.Side.String()+":gap "+itoa(c.Gap))
		} else {
			got = append(got, c.Side.String()+":"+string(c.Data))
		}
		return nil
	})
	pk := build([]pkt{{c2s: true, udp: true, data: "query"}, {udp: true, data: "answer"}, {c2s: true, udp: true, data: "cut-off", snap: 3}})
	for i, side := range []stream.Side{stream.Client, stream.Server, stream.Client} {
		u.Add(&pk[i], side)
	}
	want := "client:query server:answer client:cut client:gap 4"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q want %q", strings.Join(got, " "), want)
	}
}

// FuzzTCP feeds arbitrary segment sequences to the reassembler: no panic, bounded memory, and delivered bytes
// plus gaps never exceed the sequence space covered.
func FuzzTCP(f *testing.F) {
	f.Add([]byte{0, 2, 0, 0, 0, 0, 4, 16, 0, 1, 3, 16, 7, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		var ps []pkt
		var seq [2]uint32
		seq[0] = 0xffffff00
		for len(b) >= 3 && len(ps) < 300 {
			d := b[0] & 1
			n := int(b[2] % 64)
			seq[d] += uint32(int32(int8(b[0]&0xfe)) / 2)
			ps = append(ps, pkt{c2s: d == 0, flags: b[1], seq: seq[d], ack: seq[1-d] + uint32(b[2]&7), data: strings.Repeat(string(rune('a'+b[2]%26)), n), snap: int(b[1] >> 6)})
			seq[d] += uint32(n)
			b = b[3:]
		}
		_, st := reassemble(t, ps, stream.Options{MaxBuffer: 256, Window: 64})
		for s := range 2 {
			if st.Held[s] > 256+64 || st.Bytes[s] < 0 || st.GapBytes[s] < 0 {
				t.Fatalf("stats %+v", st)
			}
		}
	})
}
