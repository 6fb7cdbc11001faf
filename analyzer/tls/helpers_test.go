package tls

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/stream"
)

// pcapDir is the repository's capture directory.
var pcapDir = filepath.Join("..", "..", "testdata", "pcaps")

// testFlow is the test driver's state of one flow: what package tables does for the real runs.
type testFlow struct {
	af  analyzer.Flow
	tcp *stream.TCP
	h   analyzer.StreamHandler
}

// driver feeds an analyzer as the one-pass driver does: one flow tracker, one reassembler per TCP connection.
type driver struct {
	a       analyzer.Analyzer
	tr      *flow.Tracker
	streams map[string]string // uid -> tshark's stream ("N" for tcp.stream, "uN" for udp.stream)
	flows   map[string]*testFlow
	err     error
}

func newDriver(a *Analyzer) *driver { return newDriverFor(a) }

func newDriverFor(a analyzer.Analyzer) *driver {
	d := &driver{a: a, flows: map[string]*testFlow{}, streams: map[string]string{}}
	d.tr = flow.NewTracker(flow.Options{}, d.end)
	return d
}

func (d *driver) end(f *flow.Flow) error {
	uid := f.UID()
	tf := d.flows[uid]
	if tf == nil {
		return nil
	}
	delete(d.flows, uid)
	if tf.tcp != nil {
		if err := tf.tcp.Close(); err != nil {
			return err
		}
		if err := tf.h.End(); err != nil {
			return err
		}
	}
	return d.a.FlowEnd(&tf.af)
}

func (d *driver) add(p *packet.Packet) error {
	if err := d.tr.Add(p); err != nil {
		return err
	}
	f, fromOrig := d.tr.Last()
	if f == nil {
		return nil
	}
	uid := f.UID()
	tf := d.flows[uid]
	if tf == nil {
		tf = &testFlow{af: analyzer.Flow{UID: uid, CommunityID: f.CommunityID(), Proto: f.Proto,
			Orig: netip.AddrPortFrom(f.OrigH, f.OrigP), Resp: netip.AddrPortFrom(f.RespH, f.RespP), Stream: f.Stream, Start: f.TS}}
		d.flows[uid] = tf
		if f.Proto == 17 {
			d.streams[uid] = fmt.Sprintf("u%d", f.Stream)
		} else {
			d.streams[uid] = fmt.Sprint(f.Stream)
		}
		if f.Proto == 6 {
			tf.h = d.a.Stream(&tf.af)
			if tf.h != nil {
				h := tf.h
				tf.tcp = stream.NewTCP(stream.Options{}, func(c *stream.Chunk) error {
					fromOrig := c.Side == stream.Client
					if c.Data == nil {
						return h.Gap(fromOrig, c.Gap, c.Frame, c.Time)
					}
					return h.Data(fromOrig, c.Data, c.Frame, c.Time)
				})
			}
		}
	}
	if err := d.a.Packet(&analyzer.Packet{Packet: p, Flow: &tf.af, FromOrig: fromOrig}); err != nil {
		return err
	}
	if tf.tcp != nil {
		side := stream.Server
		if fromOrig {
			side = stream.Client
		}
		return tf.tcp.Add(p, side)
	}
	return nil
}

func (d *driver) close() error {
	if err := d.tr.Close(); err != nil {
		return err
	}
	return d.a.Close()
}

// runCapture returns the tls rows of a capture of testdata/pcaps.
func runCapture(t testing.TB, name string) []Row {
	t.Helper()
	rows, _ := runCaptureStreams(t, name)
	return rows
}

// runCaptureStreams returns the tls rows of a capture and the stream index of each uid.
func runCaptureStreams(t testing.TB, name string) ([]Row, map[string]string) {
	t.Helper()
	var rows []Row
	a := New(func(r *Row) error { rows = append(rows, *r); return nil })
	d := newDriver(a)
	err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir, name)}, pipeline.Options{Workers: 1}, func(b *pipeline.Batch) error {
		for i := range b.Packets {
			if err := d.add(&b.Packets[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Logf("%s: %v (rows read before the error are kept)", name, err)
	}
	if err := d.close(); err != nil {
		t.Fatalf("%s: close: %v", name, err)
	}
	return rows, d.streams
}
