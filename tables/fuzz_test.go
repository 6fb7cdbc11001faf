package tables_test

import (
	"encoding/binary"
	"testing"

	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/tables"
)

// nop is a Writer that drops the rows.
type nop struct{}

func (nop) Write(any) error { return nil }
func (nop) Close() error    { return nil }
func (nop) Abort() error    { return nil }

// frames joins Ethernet frames, each prefixed by its 16-bit length, as FuzzPass reads them.
func frames(fs [][]byte) []byte {
	var out []byte
	for _, f := range fs {
		out = binary.BigEndian.AppendUint16(out, uint16(len(f)))
		out = append(out, f...)
	}
	return out
}

// FuzzPass feeds every table of the list, in one pass, with Ethernet frames decoded from the input (each
// prefixed by its 16-bit length, at most 512 frames, 1 ms apart): hostile packets, flows and streams must not
// make the pass or an analyzer panic, hang or fail. The seeds are the first frames of corpus captures with DNS
// over UDP and TCP, and TLS.
func FuzzPass(f *testing.F) {
	for _, name := range []string{"chrissanders__dns_axfr.pcapng", "ndpi__bad-dns-traffic.pcap", "pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap", "arkime__wireshark-retrans.pcap"} {
		var fs [][]byte
		for _, b := range readBatches(f, corpus(f, name)) {
			for i := range b.Packets {
				if len(fs) < 64 && b.Packets[i].LinkType == 1 {
					fs = append(fs, b.Packets[i].Data)
				}
			}
		}
		f.Add(frames(fs))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := packet.NewDecoder()
		b := &pipeline.Batch{}
		for len(data) >= 2 && len(b.Packets) < 512 {
			n := int(binary.BigEndian.Uint16(data))
			data = data[2:]
			n = min(n, len(data))
			frame := data[:n]
			data = data[n:]
			b.Packets = append(b.Packets, packet.Packet{})
			i := len(b.Packets)
			dec.Decode(&b.Packets[i-1], packet.Meta{Frame: int64(i), Time: int64(i) * 1e6, CapLen: int32(n), WireLen: int32(n), LinkType: 1}, frame)
		}
		var outs []tables.Output
		for _, d := range tables.List() {
			outs = append(outs, tables.Output{Def: d, Writer: nop{}})
		}
		p, err := tables.NewPass(outs, tables.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Batch(b); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
