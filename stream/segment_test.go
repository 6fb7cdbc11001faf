package stream_test

import (
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/stream"
)

// TestAddSegment checks the narrow input against hand-built segments: the declared length wins over the
// captured bytes (missing bytes are a gap, extra bytes ignored), and Add of a decoded packet gives what
// AddSegment of its fields gives.
func TestAddSegment(t *testing.T) {
	const isn = 1000
	tests := []struct {
		name string
		segs []stream.Segment
		want [2]string
	}{
		{"in order", []stream.Segment{
			{Side: stream.Client, Seq: isn, Flags: fSYN},
			{Side: stream.Client, Seq: isn + 1, Flags: fACK, Payload: []byte("hello"), Declared: 5},
			{Side: stream.Client, Seq: isn + 6, Flags: fACK, Payload: []byte(" world"), Declared: 6},
		}, [2]string{"hello world", ""}},
		{"cut by the snap length", []stream.Segment{
			{Side: stream.Client, Seq: isn, Flags: fSYN},
			{Side: stream.Client, Seq: isn + 1, Flags: fACK, Payload: []byte("hel"), Declared: 5},
			{Side: stream.Client, Seq: isn + 6, Flags: fACK, Payload: []byte("!"), Declared: 1},
		}, [2]string{"hel[gap 2]!", ""}},
		{"more captured than declared", []stream.Segment{
			{Side: stream.Server, Seq: isn, Flags: fSYN | fACK},
			{Side: stream.Server, Seq: isn + 1, Flags: fACK, Payload: []byte("abcPADDING"), Declared: 3},
		}, [2]string{"", "abc"}},
		{"negative declared length", []stream.Segment{
			{Side: stream.Client, Seq: isn, Flags: fSYN},
			{Side: stream.Client, Seq: isn + 1, Flags: fACK, Payload: []byte("abc"), Declared: -7},
			{Side: stream.Client, Seq: isn + 1, Flags: fACK, Payload: []byte("xyz"), Declared: 3},
		}, [2]string{"xyz", ""}},
		{"reordered", []stream.Segment{
			{Side: stream.Client, Seq: isn, Flags: fSYN},
			{Side: stream.Client, Seq: isn + 4, Flags: fACK, Payload: []byte("def"), Declared: 3},
			{Side: stream.Client, Seq: isn + 1, Flags: fACK, Payload: []byte("abc"), Declared: 3},
		}, [2]string{"abcdef", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b [2]strings.Builder
			r := stream.NewTCP(stream.Options{}, func(c *stream.Chunk) error {
				if c.Gap > 0 {
					b[c.Side].WriteString("[gap " + itoa(c.Gap) + "]")
				} else {
					b[c.Side].Write(c.Data)
				}
				return nil
			})
			for i := range tc.segs {
				if err := r.AddSegment(&tc.segs[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if got := [2]string{b[0].String(), b[1].String()}; got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// The adapter: the same synthetic packets through Add and through AddSegment of their fields.
	ps := []pkt{
		{c2s: true, flags: fSYN, seq: 100},
		{flags: fSYN | fACK, seq: 500, ack: 101},
		{c2s: true, flags: fACK, seq: 106, ack: 501, data: "world"},
		{c2s: true, flags: fACK, seq: 101, ack: 501, data: "hello"},
		{flags: fACK, seq: 501, ack: 111, data: "response", snap: 4},
		{c2s: true, flags: fFIN | fACK, seq: 111, ack: 509},
	}
	want, _ := reassemble(t, ps, stream.Options{})
	var b [2]strings.Builder
	r := stream.NewTCP(stream.Options{}, func(c *stream.Chunk) error {
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
		p := &pk[i]
		s := stream.Segment{Side: side, Seq: p.Seq, Ack: p.Ack, Flags: p.TCPFlags, Window: p.Window,
			Payload: p.Payload(), Declared: int64(p.PayloadLen), Frame: p.Frame, Time: p.Time}
		if err := r.AddSegment(&s); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := [2]string{b[0].String(), b[1].String()}; got != want || want != [2]string{"helloworld", "resp[gap 4]"} {
		t.Errorf("AddSegment %q, Add %q, want %q", got, want, [2]string{"helloworld", "resp[gap 4]"})
	}
}
