package tls

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestNoAllocPerPacket checks that the packets whose data no row keeps cost no allocation: encrypted records of
// an established TLS connection, QUIC 1-RTT packets, and UDP datagrams of other protocols.
func TestNoAllocPerPacket(t *testing.T) {
	a := New(func(*Row) error { return nil })
	f := testFlowID
	h := a.Stream(&f)
	for _, c := range []chunk{{true, record(recHandshake, ch12), 0}, {false, record(recHandshake, sh12), 0},
		{true, cat(ccs, fin), 0}, {false, cat(ccs, fin), 0}} {
		_ = h.Data(c.fromOrig, c.data, 1, 1)
	}
	data := cat(app, app[:50])
	rest := app[50:]
	if n := testing.AllocsPerRun(200, func() {
		_ = h.Data(true, data, 2, 2)
		_ = h.Data(true, rest, 2, 2)
		_ = h.Data(false, app, 3, 3)
	}); n != 0 {
		t.Errorf("encrypted records: %.1f allocations (notes %q)", n, a.conns[f.UID].notes)
	}
	if !a.conns[f.UID].established {
		t.Fatal("connection not established")
	}

	// UDP: a DNS-like datagram of an unknown flow, and a QUIC short-header packet of a known QUIC flow.
	uf := testFlowID
	uf.Proto, uf.UID = 17, "Cudp"
	qf := uf
	qf.UID = "Cquic"
	a.conns[qf.UID] = &conn{uid: qf.UID, isQUIC: true, q: &quicState{opened: true}, lastAlert: -1}
	dec := packet.NewDecoder()
	var dns, short packet.Packet
	d1 := udpFrame(uf.Orig, uf.Resp, []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	d2 := udpFrame(qf.Orig, qf.Resp, append([]byte{0x41, 1, 2, 3, 4, 5, 6, 7, 8}, make([]byte, 40)...))
	dec.Decode(&dns, packet.Meta{Frame: 1, CapLen: int32(len(d1)), WireLen: int32(len(d1)), LinkType: 1}, d1)
	dec.Decode(&short, packet.Meta{Frame: 2, CapLen: int32(len(d2)), WireLen: int32(len(d2)), LinkType: 1}, d2)
	p1 := &analyzer.Packet{Packet: &dns, Flow: &uf, FromOrig: true}
	p2 := &analyzer.Packet{Packet: &short, Flow: &qf, FromOrig: false}
	if n := testing.AllocsPerRun(200, func() {
		_ = a.Packet(p1)
		_ = a.Packet(p2)
	}); n != 0 {
		t.Errorf("udp datagrams: %.1f allocations", n)
	}
}

// event is one recorded call of the driver to an analyzer.
type event struct {
	kind     byte // 's' stream start, 'd' data, 'g' gap, 'e' end (End + FlowEnd), 'p' packet, 'f' flow end without stream
	flow     *analyzer.Flow
	fromOrig bool
	data     []byte
	n, frame int64
	pkt      *packet.Packet
}

// recorder is an analyzer that records the calls it gets, to replay them without the tracker and reassembler.
type recorder struct {
	events  []event
	streams map[string]bool
}

func (r *recorder) Packet(p *analyzer.Packet) error {
	if p.Flow.Proto == 17 {
		fl := *p.Flow
		r.events = append(r.events, event{kind: 'p', flow: &fl, fromOrig: p.FromOrig, pkt: p.Packet.Clone()})
	}
	return nil
}

type recHandler struct {
	r *recorder
	f *analyzer.Flow
}

func (h recHandler) Data(fromOrig bool, data []byte, frame, _ int64) error {
	h.r.events = append(h.r.events, event{kind: 'd', flow: h.f, fromOrig: fromOrig, data: append([]byte(nil), data...), frame: frame})
	return nil
}
func (h recHandler) Gap(fromOrig bool, n int64, frame, _ int64) error {
	h.r.events = append(h.r.events, event{kind: 'g', flow: h.f, fromOrig: fromOrig, n: n, frame: frame})
	return nil
}
func (h recHandler) End() error { return nil }

func (r *recorder) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	fl := *f
	r.streams[f.UID] = true
	r.events = append(r.events, event{kind: 's', flow: &fl})
	return recHandler{r, &fl}
}

func (r *recorder) FlowEnd(f *analyzer.Flow) error {
	fl := *f
	r.events = append(r.events, event{kind: 'f', flow: &fl})
	return nil
}

func (r *recorder) Close() error { return nil }

// BenchmarkAnalyzer replays what the driver gives the analyzer for a TLS-heavy corpus capture (7,451 packets,
// 300 handshakes): the analyzer's own cost, tracker and reassembly excluded. Allocations come from what rows keep
// (hellos, certificates, row strings and lists) and per-flow state.
func BenchmarkAnalyzer(b *testing.B) {
	const name = "pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap"
	rec := &recorder{streams: map[string]bool{}}
	d := newDriverFor(rec)
	err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir, name)}, pipeline.Options{Workers: 1}, func(bt *pipeline.Batch) error {
		for i := range bt.Packets {
			if err := d.add(&bt.Packets[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	if err := d.close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		rows = 0
		a := New(func(*Row) error { rows++; return nil })
		handlers := map[*analyzer.Flow]analyzer.StreamHandler{}
		byUID := map[string]analyzer.StreamHandler{}
		for i := range rec.events {
			ev := &rec.events[i]
			switch ev.kind {
			case 's':
				h := a.Stream(ev.flow)
				handlers[ev.flow] = h
				byUID[ev.flow.UID] = h
			case 'd':
				_ = handlers[ev.flow].Data(ev.fromOrig, ev.data, ev.frame, ev.frame)
			case 'g':
				_ = handlers[ev.flow].Gap(ev.fromOrig, ev.n, ev.frame, ev.frame)
			case 'p':
				_ = a.Packet(&analyzer.Packet{Packet: ev.pkt, Flow: ev.flow, FromOrig: ev.fromOrig})
			case 'f':
				if h := byUID[ev.flow.UID]; h != nil {
					_ = h.End()
				}
				_ = a.FlowEnd(ev.flow)
			}
		}
		_ = a.Close()
	}
	b.ReportMetric(float64(len(rec.events)), "calls/op")
	b.ReportMetric(float64(rows), "rows/op")
}
