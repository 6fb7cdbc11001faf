package http

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/pipeline"
)

// recorder is an analyzer that keeps the reassembled streams a capture gives, to replay them.
type recorder struct {
	flows []*recFlow
}

type recFlow struct {
	flow   analyzer.Flow
	events []event
	bytes  int64
}

func (r *recorder) Packet(*analyzer.Packet) error { return nil }
func (r *recorder) FlowEnd(*analyzer.Flow) error  { return nil }
func (r *recorder) Close() error                  { return nil }
func (r *recorder) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	rf := &recFlow{flow: *f}
	r.flows = append(r.flows, rf)
	return rf
}
func (rf *recFlow) Data(o bool, b []byte, _, _ int64) error {
	rf.events = append(rf.events, event{orig: o, data: string(b)})
	rf.bytes += int64(len(b))
	return nil
}
func (rf *recFlow) Gap(o bool, n int64, _, _ int64) error {
	rf.events = append(rf.events, event{orig: o, gap: n})
	return nil
}
func (rf *recFlow) End() error { return nil }

// BenchmarkAnalyzer replays the reassembled TCP streams of a web capture (121 HTTP messages, 1 MB of streams)
// through the http analyzer: parsing, pairing, objects and rows.
func BenchmarkAnalyzer(b *testing.B) {
	rec := &recorder{}
	d := newDriver(rec)
	if err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir(b), "chrissanders__http_espn.pcapng")}, pipeline.Options{Workers: 1}, d.Batch); err != nil {
		b.Fatal(err)
	}
	d.Close()
	var total int64
	for _, f := range rec.flows {
		total += f.bytes
	}
	b.SetBytes(total)
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		a := New(func(*Row) error { rows++; return nil })
		for _, f := range rec.flows {
			h := a.Stream(&f.flow)
			for i, e := range f.events {
				if e.gap > 0 {
					h.Gap(e.orig, e.gap, int64(i), int64(i))
				} else {
					h.Data(e.orig, []byte(e.data), int64(i), int64(i))
				}
			}
			h.End()
			a.FlowEnd(&f.flow)
		}
		a.Close()
	}
	if rows == 0 {
		b.Fatal("no rows")
	}
}
