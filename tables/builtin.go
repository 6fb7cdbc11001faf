package tables

import (
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// packets writes every batch as it comes: the packets table is the batch.
type packets struct{ out *Rows[packet.Packet] }

func newPackets(out *Rows[packet.Packet], _ *Options) any { return packets{out} }

func (p packets) Batch(b *pipeline.Batch) error { return p.out.Write(b.Packets) }
func (p packets) Close() error                  { return nil }

// flows writes the flows of the run's tracker as they end.
type flows struct{ out *Rows[flow.Flow] }

func newFlows(out *Rows[flow.Flow], _ *Options) any { return flows{out} }

func (f flows) Flow(fl *flow.Flow) error { return f.out.Add(fl) }
func (f flows) Close() error             { return f.out.Flush() }

// endpoints aggregates every packet per address and writes the rows at the end.
type endpoints struct {
	out *Rows[flow.Endpoint]
	eps *flow.Endpoints
}

func newEndpoints(out *Rows[flow.Endpoint], o *Options) any {
	return &endpoints{out: out, eps: flow.NewEndpoints(o.Endpoints, out.Add)}
}

func (e *endpoints) Batch(b *pipeline.Batch) error {
	for i := range b.Packets {
		if err := e.eps.Add(&b.Packets[i]); err != nil {
			return err
		}
	}
	return nil
}

func (e *endpoints) Close() error {
	if err := e.eps.Close(); err != nil {
		return err
	}
	return e.out.Flush()
}
