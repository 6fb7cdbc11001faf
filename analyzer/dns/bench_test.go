package dns

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/pipeline"
)

// benchCaptures are DNS-heavy corpus captures: a tunnel (unique names, NULL records) and a mix of DNS, mDNS and
// LLMNR.
var benchCaptures = []string{"ndpi__dns-tunnel-iodine.pcap", "pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap"}

// recorded is a capture decoded and tracked once: every packet with its flow, and the flows' ends.
type recorded struct {
	packets []analyzer.Packet
	ends    []analyzer.Flow
}

func record(b *testing.B, name string) *recorded {
	b.Helper()
	rec := &recorded{}
	tr := flow.NewTracker(flow.Options{}, func(f *flow.Flow) error { rec.ends = append(rec.ends, toFlow(f)); return nil })
	err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir(b), name)}, pipeline.Options{Workers: 1}, func(bt *pipeline.Batch) error {
		for i := range bt.Packets {
			p := &bt.Packets[i]
			if err := tr.Add(p); err != nil {
				return err
			}
			f, fromOrig := tr.Last()
			if f == nil {
				continue
			}
			af := toFlow(f)
			rec.packets = append(rec.packets, analyzer.Packet{Packet: p.Clone(), Flow: &af, FromOrig: fromOrig})
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		b.Fatal(err)
	}
	return rec
}

// BenchmarkAnalyzer measures the analyzer alone (flow tracking done beforehand) on corpus captures: ns and
// allocations per packet, rows written nowhere.
func BenchmarkAnalyzer(b *testing.B) {
	for _, name := range benchCaptures {
		b.Run(name, func(b *testing.B) {
			rec := record(b, name)
			a := New(func(r *Row) error { return nil })
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for i := range rec.packets {
					if err := a.Packet(&rec.packets[i]); err != nil {
						b.Fatal(err)
					}
				}
				for i := range rec.ends {
					if err := a.FlowEnd(&rec.ends[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rec.packets)), "ns/packet")
			b.ReportMetric(float64(a.Stats().Rows)/float64(b.N), "rows/op")
		})
	}
}

// BenchmarkParse measures the message parser on a response with a question, two answers and EDNS.
func BenchmarkParse(b *testing.B) {
	msg := newMsg(1, flagsResponse, 1, 2, 0, 1).name("www", "example", "com").question(1, 1).
		raw(ptr(12)...).rr(5, 1, 300, wireName("cdn", "example", "net")).
		raw(ptr(37)...).rr(1, 1, 60, []byte{192, 0, 2, 1}).raw(0).rr(41, 1232, 0, nil).b
	var m message
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for range b.N {
		m.parse(msg)
	}
	if m.note != noteNone || len(m.answers) != 2 {
		b.Fatalf("note %q, %d answers", m.note, len(m.answers))
	}
}
