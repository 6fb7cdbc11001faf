package dns

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestGopacketDecision records why the parser is our own rather than gopacket's layers.DNS (see the package
// documentation), and checks that the two agree on every DNS message over UDP of the golden captures that both
// decode without complaint.
func TestGopacketDecision(t *testing.T) {
	t.Run("gopacket allocates per TXT response", func(t *testing.T) {
		msg := newMsg(1, flagsResponse, 1, 1, 0, 0).name("a").question(16, 1).raw(ptr(12)...).rr(16, 1, 60, txtData("hello")).b
		var gp layers.DNS
		var m message
		if err := gp.DecodeFromBytes(msg, gopacket.NilDecodeFeedback); err != nil {
			t.Fatal(err)
		}
		m.parse(msg)
		g := testing.AllocsPerRun(100, func() { _ = gp.DecodeFromBytes(msg, gopacket.NilDecodeFeedback) })
		o := testing.AllocsPerRun(100, func() { m.parse(msg) })
		t.Logf("allocations per TXT response: gopacket %v, ours %v", g, o)
		if g == 0 || o != 0 {
			t.Errorf("allocations per TXT response: gopacket %v, ours %v; the decision in doc.go needs revisiting", g, o)
		}
	})
	t.Run("gopacket's names lose label boundaries", func(t *testing.T) {
		one := newMsg(1, flagsQuery, 1, 0, 0, 0).name("a.b").question(1, 1).b
		two := newMsg(1, flagsQuery, 1, 0, 0, 0).name("a", "b").question(1, 1).b
		var g1, g2 layers.DNS
		if g1.DecodeFromBytes(one, gopacket.NilDecodeFeedback) != nil || g2.DecodeFromBytes(two, gopacket.NilDecodeFeedback) != nil {
			t.Fatal("gopacket does not decode the names")
		}
		if !bytes.Equal(g1.Questions[0].Name, g2.Questions[0].Name) {
			t.Logf("gopacket now tells %q from %q", g1.Questions[0].Name, g2.Questions[0].Name)
		}
		var m1, m2 message
		m1.parse(one)
		m2.parse(two)
		if e1, e2 := string(appendNameText(nil, &m1.qname)), string(appendNameText(nil, &m2.qname)); e1 == e2 {
			t.Errorf("our escaped names are equal: %q", e1)
		}
	})
	t.Run("corpus", func(t *testing.T) {
		var m message
		var gp layers.DNS
		both, ours, theirs := 0, 0, 0
		for _, gc := range goldenCaptures {
			err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir(t), gc.name)}, pipeline.Options{Workers: 1}, func(b *pipeline.Batch) error {
				for i := range b.Packets {
					p := &b.Packets[i]
					if !p.Has(packet.HasUDP) || !dnsPort(p.SPort) && !dnsPort(p.DPort) || len(p.Payload()) == 0 {
						continue
					}
					pl := p.Payload()
					m.parse(pl)
					switch {
					case compareGopacket(t, pl, &m, &gp):
						both++
					case m.note == noteNone:
						ours++
					case gp.DecodeFromBytes(pl, gopacket.NilDecodeFeedback) == nil:
						theirs++
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("messages decoded by both (and equal): %d; only by ours: %d; only by gopacket: %d", both, ours, theirs)
		if both < 1000 {
			t.Errorf("only %d messages compared", both)
		}
	})
}
