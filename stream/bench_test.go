package stream_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/stream"
)

// BenchmarkFollow follows the largest stream of the notebook's capture (tcp.stream 2, 828 kB of TLS, with
// retransmissions and out-of-order segments) from packets decoded in memory: stream numbering, selection and
// reassembly. Bytes/s counts the payload delivered.
func BenchmarkFollow(b *testing.B) {
	var pkts []packet.Packet
	var arena []byte
	err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir, "seed__find_the_image.pcap")}, pipeline.Options{Workers: 1}, func(bt *pipeline.Batch) error {
		for i := range bt.Packets {
			pkts = append(pkts, bt.Packets[i])
			arena = pkts[len(pkts)-1].CopyTo(arena)
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		b.Fatal(err)
	}
	var delivered int64
	b.ReportAllocs()
	for b.Loop() {
		delivered = 0
		fo := stream.NewFollower(stream.Match{Proto: "tcp", Stream: 2}, stream.Options{}, func(stream.Header) (func(*stream.Chunk) error, error) {
			return func(c *stream.Chunk) error { delivered += int64(len(c.Data)); return nil }, nil
		})
		for i := range pkts {
			fo.Add(&pkts[i])
		}
		fo.Close()
	}
	b.SetBytes(delivered)
}
