package files

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

// driver is what the tables driver does for one analyzer: one flow tracker, one reassembler per TCP flow that
// the analyzer wants (stopped when its handler is done), the flow end (handler End, Service, FlowEnd).
type driver struct {
	a        analyzer.Analyzer
	tracker  *flow.Tracker
	tcp      map[string]*tcpFlow
	services map[string]string
	streams  map[string]int64 // uid → Wireshark's tcp.stream
}

type tcpFlow struct {
	r    *stream.TCP
	h    analyzer.StreamHandler
	done bool
}

func toFlow(f *flow.Flow) analyzer.Flow {
	return analyzer.Flow{UID: f.UID(), CommunityID: f.CommunityID(), Proto: f.Proto,
		Orig: netip.AddrPortFrom(f.OrigH, f.OrigP), Resp: netip.AddrPortFrom(f.RespH, f.RespP), Stream: f.Stream, Start: f.TS}
}

func newDriver(a analyzer.Analyzer) *driver {
	d := &driver{a: a, tcp: map[string]*tcpFlow{}, services: map[string]string{}, streams: map[string]int64{}}
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
		if s, ok := a.(analyzer.Service); ok {
			if v := s.Service(af.UID); v != "" {
				d.services[af.UID] = v
			}
		}
		return a.FlowEnd(&af)
	})
	return d
}

func (d *driver) batch(b *pipeline.Batch) error {
	for i := range b.Packets {
		p := &b.Packets[i]
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
		d.streams[af.UID] = af.Stream
		tf := d.tcp[af.UID]
		if tf == nil {
			h := d.a.Stream(&af)
			if h == nil {
				continue
			}
			tf = &tcpFlow{h: h}
			tf.r = stream.NewTCP(stream.Options{}, func(c *stream.Chunk) error {
				if tf.done {
					return nil
				}
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
		if sd, ok := tf.h.(analyzer.StreamDone); ok && sd.Done() {
			tf.done = true
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

// runCapture runs the files analyzer over a capture of testdata/pcaps; opts may give spools.
func runCapture(t testing.TB, name string, opts Options) ([]Row, *driver) {
	t.Helper()
	var rows []Row
	a := NewWithOptions(func(r *Row) error { rows = append(rows, *r); return nil }, opts)
	d := newDriver(a)
	err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir(t), name)}, pipeline.Options{Workers: 1}, d.batch)
	if cerr := d.close(); cerr != nil {
		t.Fatalf("%s: close: %v", name, cerr)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rows, d
}
