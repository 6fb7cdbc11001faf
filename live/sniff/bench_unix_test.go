//go:build unix

package sniff

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/live"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/sink"
)

// cpuTime returns the process's user+sys CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRun measures Run outside the kernel: frames from a source that makes them at once (the 106-byte
// UDP frames of scripts/sniff-bench.sh), written to a pcapng file and/or tables, with Wait so that every frame
// is written. "direct" is the baseline of the packet table without Run: decode and write on one goroutine, as
// the command did before the pass wrote its packet table. cpu-ns/pkt is the process's user+sys time per frame
// (all goroutines), the figure that matters on a loaded machine.
func BenchmarkRun(b *testing.B) {
	const perRun = 16 * 8192
	for _, tc := range []struct {
		name   string
		file   bool
		tables []string
	}{
		{"direct-packets", false, nil},
		{"pcapng", true, nil},
		{"packets", false, []string{"packets"}},
		{"pcapng+packets+flows", true, []string{"packets", "flows"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				src := newFakeSource(4096, perRun)
				src.frame = make([]byte, 14+20+8+64)
				copy(src.frame, udpFrame(1000, 0))
				if tc.name == "direct-packets" {
					benchDirect(b, src, filepath.Join(dir, "d.parquet"))
					continue
				}
				opts := Options{Wait: true}
				if tc.file {
					opts.File = filepath.Join(dir, "b.pcapng")
				}
				if tc.tables != nil {
					outs, err := CreateTables(dir, tc.tables, sink.Parquet)
					if err != nil {
						b.Fatal(err)
					}
					opts.Tables = outs
				}
				if st, err := Run(context.Background(), src, opts); err != nil || st.Captured != perRun {
					b.Fatalf("%+v, %v", st, err)
				}
			}
			pkts := float64(b.N * perRun)
			b.ReportMetric(pkts/b.Elapsed().Seconds(), "pkts/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/pkts, "cpu-ns/pkt")
		})
	}
}

// benchDirect decodes the frames of src and writes the packet table (default columns) on one goroutine.
func benchDirect(b *testing.B, src *fakeSource, path string) {
	tw, err := sink.Create(packet.Table, sink.Parquet, path, sink.Options{})
	if err != nil {
		b.Fatal(err)
	}
	dec := packet.NewDecoder()
	batch := live.NewBatch()
	rows := make([]packet.Packet, 0, live.BatchFrames)
	for {
		batch.Reset()
		if _, err := src.ReadBatch(batch, 0); err != nil {
			break
		}
		rows = rows[:0]
		for i, f := range batch.Frames {
			rows = append(rows, packet.Packet{})
			dec.Decode(&rows[len(rows)-1], packet.Meta{Source: "fake0", Frame: int64(i), Time: f.Time,
				CapLen: int32(len(f.Data)), WireLen: int32(f.WireLen), LinkType: 1}, f.Data)
		}
		if err := tw.Write(rows); err != nil {
			b.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
}
