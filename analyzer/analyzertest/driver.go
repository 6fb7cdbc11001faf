// Package analyzertest runs one protocol analyzer over a capture as the one pass of package tables does (one
// flow tracker, one reassembler per TCP connection the analyzer asks for, stopped once its handler is done, and
// the flow ends), for the analyzers' own tests, which cannot import package tables (it imports them).
package analyzertest

import (
	"net/netip"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/stream"
)

// PcapDir is the repository's testdata/pcaps.
func PcapDir(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate package analyzertest")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "pcaps")
}

// Driver is what the tables driver does for one analyzer: one flow tracker, one reassembler per TCP flow that
// the analyzer wants (stopped when its handler is done), the flow end (handler End, Service, FlowEnd).
type Driver struct {
	a       analyzer.Analyzer
	tracker *flow.Tracker
	tcp     map[string]*tcpFlow
	// Services holds the service the analyzer named for each flow that ended (analyzer.Service), by uid.
	Services map[string]string
	// Streams holds Wireshark's tcp.stream of each TCP flow, by uid.
	Streams map[string]int64
}

type tcpFlow struct {
	r       *stream.TCP
	h       analyzer.StreamHandler // nil until offered, or when the analyzer did not want the connection
	offered bool
	done    bool
}

func toFlow(f *flow.Flow) analyzer.Flow {
	return analyzer.Flow{UID: f.UID(), CommunityID: f.CommunityID(), Proto: f.Proto,
		Orig: netip.AddrPortFrom(f.OrigH, f.OrigP), Resp: netip.AddrPortFrom(f.RespH, f.RespP), Stream: f.Stream, Start: f.TS}
}

// NewDriver returns a driver of analyzer a; feed it with Batch (a pipeline.Run callback), then Close.
func NewDriver(a analyzer.Analyzer) *Driver {
	d := &Driver{a: a, tcp: map[string]*tcpFlow{}, Services: map[string]string{}, Streams: map[string]int64{}}
	d.tracker = flow.NewTracker(flow.Options{}, func(f *flow.Flow) error {
		af := toFlow(f)
		if tf := d.tcp[af.UID]; tf != nil {
			delete(d.tcp, af.UID)
			if err := tf.r.Close(); err != nil {
				return err
			}
			if tf.h != nil {
				if err := tf.h.End(); err != nil {
					return err
				}
			}
		}
		if s, ok := a.(analyzer.Service); ok {
			if v := s.Service(af.UID); v != "" {
				d.Services[af.UID] = v
			}
		}
		return a.FlowEnd(&af)
	})
	return d
}

// Batch feeds the packets of one batch, in order.
func (d *Driver) Batch(b *pipeline.Batch) error {
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
		d.Streams[af.UID] = af.Stream
		tf := d.tcp[af.UID]
		if tf == nil {
			if fl, ok := d.a.(analyzer.StreamFilter); ok && !fl.WantStream(&af) {
				continue
			}
			// As the tables driver does, the connection is offered to Stream at its first bytes or gap.
			tf = &tcpFlow{}
			sf := af
			tf.r = stream.NewTCP(stream.Options{}, func(c *stream.Chunk) error {
				if !tf.offered {
					tf.offered = true
					tf.h = d.a.Stream(&sf)
				}
				if tf.done || tf.h == nil {
					return nil
				}
				if c.Data == nil {
					return tf.h.Gap(c.Side == stream.Client, c.Gap, c.Frame, c.Time)
				}
				return tf.h.Data(c.Side == stream.Client, c.Data, c.Frame, c.Time)
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
		if tf.offered && tf.h == nil {
			tf.done = true
		} else if sd, ok := tf.h.(analyzer.StreamDone); ok && sd.Done() {
			tf.done = true
		}
	}
	return nil
}

// Close ends every flow, then the analyzer.
func (d *Driver) Close() error {
	if err := d.tracker.Close(); err != nil {
		return err
	}
	return d.a.Close()
}
