package dns

import (
	"context"
	"net/netip"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/stream"
)

// pcapDir is the repository's testdata/pcaps.
func pcapDir(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "pcaps")
}

// testRow is a Row kept as the tables driver keeps rows: a copy of the value (Row's ownership rule), with
// shorter names for the tests.
type testRow struct {
	Row
	query, raw, base, sub, note string
	answers, types              []string
	ttls                        []float64
}

func keep(r *Row) testRow {
	return testRow{Row: *r, query: r.Query, raw: r.QueryRaw, base: r.BaseDomain, sub: r.Subdomain, note: r.Note,
		answers: r.Answers, types: r.AnswerTypes, ttls: r.TTLs}
}

// driver is what the tables driver does for one analyzer: one flow tracker, one reassembler per TCP flow that
// the analyzer wants, the flow end (handler End, Service, FlowEnd) when the tracker emits the flow.
type driver struct {
	a        *Analyzer
	tracker  *flow.Tracker
	tcp      map[string]*tcpFlow
	services map[string]string
	packets  int64
}

type tcpFlow struct {
	r *stream.TCP
	h analyzer.StreamHandler
}

func toFlow(f *flow.Flow) analyzer.Flow {
	return analyzer.Flow{UID: f.UID(), CommunityID: f.CommunityID(), Proto: f.Proto,
		Orig: netip.AddrPortFrom(f.OrigH, f.OrigP), Resp: netip.AddrPortFrom(f.RespH, f.RespP), Stream: f.Stream, Start: f.TS}
}

func newDriver(a *Analyzer) *driver {
	d := &driver{a: a, tcp: map[string]*tcpFlow{}, services: map[string]string{}}
	d.tracker = flow.NewTracker(flow.Options{}, func(f *flow.Flow) error {
		af := toFlow(f)
		if tf := d.tcp[af.UID]; tf != nil {
			delete(d.tcp, af.UID)
			if err := tf.r.Close(); err != nil {
				return err
			}
			if err := tf.h.End(); err != nil {
				return err
			}
		}
		if s := a.Service(af.UID); s != "" {
			d.services[af.UID] = s
		}
		return a.FlowEnd(&af)
	})
	return d
}

func (d *driver) batch(b *pipeline.Batch) error {
	for i := range b.Packets {
		p := &b.Packets[i]
		d.packets++
		if err := d.tracker.Add(p); err != nil {
			return err
		}
		f, fromOrig := d.tracker.Last()
		if f == nil {
			continue
		}
		af := toFlow(f)
		if err := d.a.Packet(&analyzer.Packet{Packet: p, Flow: &af, FromOrig: fromOrig}); err != nil {
			return err
		}
		if f.Proto != 6 {
			continue
		}
		tf := d.tcp[af.UID]
		if tf == nil {
			h := d.a.Stream(&af)
			if h == nil {
				continue
			}
			tf = &tcpFlow{h: h}
			tf.r = stream.NewTCP(stream.Options{}, func(c *stream.Chunk) error {
				if c.Data == nil {
					return h.Gap(c.Side == stream.Client, c.Gap, c.Frame, c.Time)
				}
				return h.Data(c.Side == stream.Client, c.Data, c.Frame, c.Time)
			})
			d.tcp[af.UID] = tf
		}
		side := stream.Server
		if fromOrig {
			side = stream.Client
		}
		if err := tf.r.Add(p, side); err != nil {
			return err
		}
	}
	return nil
}

func (d *driver) close() error {
	if err := d.tracker.Close(); err != nil {
		return err
	}
	return d.a.Close()
}

// runCapture runs the analyzer over a capture of testdata/pcaps and returns its rows and the flows' services.
func runCapture(t testing.TB, name string) ([]testRow, map[string]string, Stats) {
	t.Helper()
	rows, d, err := runCaptureErr(t, name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rows, d.services, d.a.Stats()
}

// runCaptureErr is runCapture that returns the input's error (a damaged capture) with the rows read before it.
func runCaptureErr(t testing.TB, name string) ([]testRow, *driver, error) {
	t.Helper()
	var rows []testRow
	a := New(func(r *Row) error { rows = append(rows, keep(r)); return nil })
	d := newDriver(a)
	err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir(t), name)}, pipeline.Options{Workers: 1}, d.batch)
	if cerr := d.close(); cerr != nil {
		t.Fatalf("%s: close: %v", name, cerr)
	}
	return rows, d, err
}
