// Package sniff runs a capture into files: it reads frames from a Source (a live interface opened with
// live.Open, or a capture file or stream read as if it were one) until a stop condition, and writes them to a
// capture file (live.Writer, with rotation) and to any selection of the tables of package tables at once. It is
// what `pcapframe sniff` does, without the flags and messages, so that a Go program can do it in a few lines:
//
//	h, err := live.Open("lo", live.Options{Filter: "udp port 53"})
//	if err != nil {
//		return err
//	}
//	defer h.Close()
//	outs, err := sniff.CreateTables("out", []string{"packets", "flows", "dns"}, sink.Parquet)
//	if err != nil {
//		return err
//	}
//	st, err := sniff.Run(ctx, h, sniff.Options{Count: 100, File: "out/capture.pcapng", Tables: outs})
//
// # Stopping
//
// Run stops after Options.Count frames, after Options.Duration of wall-clock time, when ctx is done (the way
// Ctrl-C ends a capture: a normal end, not an error), when the source ends (io.EOF: the end of a capture file),
// or at the first error. On every stop, the frames the source already holds are taken without waiting,
// the capture file is closed complete, and the tables are written.
//
// # Goroutines and drops
//
// Three goroutines run at once: the capture goroutine reads the source into batches (live.Batch), the file
// goroutine writes them to the capture file, and the table goroutine decodes them (package packet) and hands
// them to the one pass that builds the tables (tables.Pass). Bounded queues of QueueBatches batches link them.
// By default a full queue drops its batch and counts it (Stats.QueueDrops, Stats.TableDrops): a live capture
// must keep reading the kernel's ring, which would otherwise overflow while a slow disk is waited for, and a
// batch dropped before the tables only is still in the capture file. Options.Wait makes
// the capture goroutine wait instead, for sources that keep their frames until read (FileSource).
//
// The capture file is written first and the tables are built from the frames it holds, so the tables' source
// and frame columns name the file and frame number of each packet; without a capture file they name the
// source and the capture order.
//
// # Memory
//
// About 2×QueueBatches + 4 batches exist at once, each holding at most live.BatchBytes of frame bytes plus one
// frame (about 2.3 MiB), so about 85 MiB of frames at most, plus what the tables' pass holds (package tables).
//
// # Time
//
// Frames keep the source's timestamps (the kernel's receive times, or a file's packet times); rotation by
// time follows them. Only Options.Duration and the progress reports use the wall clock.
package sniff
