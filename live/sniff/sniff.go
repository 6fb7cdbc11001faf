package sniff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pcapframe/pcapframe/live"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/tables"
	"github.com/pcapframe/pcapframe/tcpanalysis"
)

// Source is where Run reads frames. *live.Handle is one; FileSource reads a capture file or stream.
type Source interface {
	// Interface describes the source; its Name labels the frames when no capture file is written and is
	// recorded in a pcapng capture file.
	Interface() live.Interface
	// LinkType is the LINKTYPE_* of every frame.
	LinkType() int
	// Snaplen is the largest number of bytes kept of a frame.
	Snaplen() int
	// ReadBatch appends the frames available to b, waiting up to timeout for the first one. It returns the
	// number of frames added (0 when the timeout passed), live.ErrInterrupted after Interrupt, or io.EOF when
	// the source has no more frames.
	ReadBatch(b *live.Batch, timeout time.Duration) (int, error)
	// Interrupt makes a blocked or the next ReadBatch return live.ErrInterrupted; any goroutine may call it.
	Interrupt()
	// Stats returns the source's counters; Dropped counts the frames it lost (the kernel's ring was full).
	Stats() (live.Stats, error)
}

// Options configure Run. The zero value captures until ctx is done and writes nothing.
type Options struct {
	// Count stops the capture after this many frames; 0 means no limit.
	Count int64
	// Duration stops the capture after this long (wall-clock time); 0 means no limit.
	Duration time.Duration

	// File is the capture file to write (.pcap or .pcapng, see live.Writer); "" writes none.
	File string
	// FileOptions configure the capture file: format, rotation, filter recorded. Its LinkType and Snaplen
	// are the source's, and an empty Interface is the source's name.
	FileOptions live.WriterOptions

	// Tables are the tables built from the captured frames, by one tables.Pass; CreateTables opens them as
	// files in a directory. Run owns their writers: it closes them (the tables are published) when the pass
	// succeeded, and aborts them all when it failed (a table that stopped partway would not match the others).
	Tables []tables.Output
	// TableOptions configure the pass (flow timeouts, reassembly limits).
	TableOptions tables.Options

	// Wait makes the capture wait for a writer that falls behind instead of dropping frames. Set it for sources
	// that keep their frames until read, such as FileSource; a live capture should drop and count instead.
	Wait bool

	// Progress, if set, is called about every ProgressInterval with the counts so far (Files and Tables are
	// filled in the final Stats only), on Run's goroutine.
	Progress func(Stats)
}

// Stats count what a capture did. The frames of the source are Captured; of those, QueueDrops are in no
// output, and TableDrops are in the capture file but not in the tables.
type Stats struct {
	Captured, Bytes int64      // frames (and their captured bytes) taken from the source, at most Options.Count
	Source          live.Stats // the source's counters: Dropped by the kernel before they could be captured
	QueueDrops      int64      // frames dropped because the first output (capture file, else tables) fell behind
	TableDrops      int64      // frames written to the capture file, dropped because the tables fell behind
	Files           []string   // the capture files written and kept, oldest first (more than one when rotating)
	Tables          tables.Stats
}

// Tuning of Run.
const (
	// QueueBatches is the length of each queue between the goroutines, in batches.
	QueueBatches = 16
	// ProgressInterval is the time between two calls of Options.Progress.
	ProgressInterval = time.Second
	// readTimeout is how long one ReadBatch waits, so that stop conditions are checked.
	readTimeout = 250 * time.Millisecond
)

// Run captures from src into the capture file and the tables of opts until a stop condition: Count frames,
// Duration, ctx done, or the end of the source (io.EOF). Those are normal ends and return a nil error; the
// frames already read are written either way. Run does not close src.
//
// An error of the capture, of the capture file or of the tables stops the capture and is returned (joined
// when several failed). The capture file keeps the complete records written before it; the tables are kept
// unless their own pass or writers failed.
func Run(ctx context.Context, src Source, opts Options) (Stats, error) {
	if opts.Count < 0 || opts.Duration < 0 {
		abort(opts.Tables)
		return Stats{}, errors.New("sniff: count and duration must not be negative")
	}
	r := &run{src: src, o: opts, name: src.Interface().Name}
	if len(opts.Tables) > 0 {
		pass, err := tables.NewPass(opts.Tables, opts.TableOptions)
		if err != nil {
			abort(opts.Tables)
			return Stats{}, err
		}
		r.pass = pass
	}
	if opts.File != "" {
		wo := opts.FileOptions
		wo.LinkType, wo.Snaplen = src.LinkType(), src.Snaplen()
		if wo.Interface == "" {
			wo.Interface = r.name
		}
		fw, err := live.NewWriter(opts.File, wo)
		if err != nil {
			if r.pass != nil {
				_ = r.pass.Close()
			}
			abort(opts.Tables)
			return Stats{}, err
		}
		r.fw = fw
	}
	return r.run(ctx)
}

// abort aborts the writers of outs.
func abort(outs []tables.Output) {
	for _, o := range outs {
		if o.Writer != nil {
			_ = o.Writer.Abort()
		}
	}
}

// run is one capture: a capture goroutine reads the source into batches, a file goroutine writes them to the
// capture file, and a table goroutine decodes them for the pass.
type run struct {
	src  Source
	o    Options
	name string
	fw   *live.Writer
	pass *tables.Pass

	captured, bytes        atomic.Int64
	queueDrops, tableDrops atomic.Int64
	errOnce                sync.Once
	err                    error
	cancel                 context.CancelFunc
}

// fail records the first error of the run and stops the capture.
func (r *run) fail(err error) {
	r.errOnce.Do(func() { r.err = err })
	r.cancel()
}

func (r *run) stats(src live.Stats) Stats {
	return Stats{Captured: r.captured.Load(), Bytes: r.bytes.Load(), Source: src, QueueDrops: r.queueDrops.Load(),
		TableDrops: r.tableDrops.Load()}
}

func (r *run) run(parent context.Context) (Stats, error) {
	ctx, cancel := context.WithCancel(parent)
	r.cancel = cancel
	defer cancel()
	if r.o.Duration > 0 {
		var stopTimer context.CancelFunc
		ctx, stopTimer = context.WithTimeout(ctx, r.o.Duration)
		defer stopTimer()
	}
	stopInterrupt := context.AfterFunc(ctx, r.src.Interrupt)
	defer stopInterrupt()

	free := make(chan *live.Batch, 2*QueueBatches+4)
	recycle := func(b *live.Batch) {
		b.Reset()
		select {
		case free <- b:
		default:
		}
	}
	toWrite := make(chan *live.Batch, QueueBatches)
	toTable := make(chan *live.Batch, QueueBatches)
	var wg sync.WaitGroup
	wg.Go(func() { r.writeLoop(toWrite, toTable, recycle) })
	wg.Go(func() { r.tableLoop(toTable, recycle) })
	captureDone := make(chan error, 1)
	go func() { captureDone <- r.captureLoop(ctx, toWrite, free) }()

	var srcStats live.Stats
	var tick <-chan time.Time
	if r.o.Progress != nil {
		t := time.NewTicker(ProgressInterval)
		defer t.Stop()
		tick = t.C
	}
	var capErr error
wait:
	for {
		select {
		case capErr = <-captureDone:
			break wait
		case <-tick:
			if st, err := r.src.Stats(); err == nil {
				srcStats = st
			}
			r.o.Progress(r.stats(srcStats))
		}
	}
	wg.Wait()
	if st, err := r.src.Stats(); err == nil {
		srcStats = st
	}
	if capErr != nil {
		r.fail(fmt.Errorf("capture on %q: %w", r.name, capErr))
	}

	var errs []error
	if r.err != nil {
		errs = append(errs, r.err)
	}
	st := r.stats(srcStats)
	if r.fw != nil {
		if err := r.fw.Close(); err != nil && !errors.Is(err, r.err) {
			errs = append(errs, err)
		}
		st.Files = r.fw.Files()
	}
	if r.pass != nil {
		err := r.closeTables()
		st.Tables = r.pass.Stats()
		if err != nil {
			errs = append(errs, err)
		}
	}
	return st, errors.Join(errs...)
}

// closeTables ends the pass and publishes its tables, or removes them all when the pass failed.
func (r *run) closeTables() error {
	if err := r.pass.Close(); err != nil {
		abort(r.o.Tables)
		if r.err != nil && errors.Is(r.err, err) {
			return nil // already reported by the table goroutine
		}
		return fmt.Errorf("write tables: %w", err)
	}
	var errs []error
	for _, o := range r.o.Tables {
		if err := o.Writer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("write table %s: %w", o.Def.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// captureLoop reads the source until the count is reached, ctx ends or the source ends, and queues batches
// for writing.
func (r *run) captureLoop(ctx context.Context, toWrite chan<- *live.Batch, free chan *live.Batch) error {
	defer close(toWrite)
	get := func() *live.Batch {
		select {
		case b := <-free:
			return b
		default:
			return live.NewBatch()
		}
	}
	b := get()
	var seq int64
	for {
		timeout := readTimeout
		if ctx.Err() != nil {
			// Stopping: take what the source already holds, without waiting.
			timeout = 0
		}
		n, err := r.src.ReadBatch(b, timeout)
		if errors.Is(err, live.ErrInterrupted) {
			continue // ctx is done: drain once more, then stop
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if n == 0 {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		if c := r.o.Count; c > 0 && r.captured.Load()+int64(len(b.Frames)) > c {
			b.Truncate(int(c - r.captured.Load()))
		}
		var bytes int64
		for i := range b.Frames {
			f := &b.Frames[i]
			seq++
			f.Source, f.Number = r.name, seq
			bytes += int64(len(f.Data))
		}
		r.captured.Add(int64(len(b.Frames)))
		r.bytes.Add(bytes)
		if r.o.Wait {
			select {
			case toWrite <- b:
				b = get()
			case <-ctx.Done():
				// Stopping while the writers are behind: the batch is not lost, wait for them.
				toWrite <- b
				return nil
			}
		} else {
			select {
			case toWrite <- b:
				b = get()
			default:
				r.queueDrops.Add(int64(len(b.Frames)))
				b.Reset()
			}
		}
		if c := r.o.Count; c > 0 && r.captured.Load() >= c {
			return nil
		}
		if ctx.Err() != nil && timeout == 0 {
			return nil
		}
	}
}

// writeLoop writes batches to the capture file, then passes them to the tables.
func (r *run) writeLoop(in <-chan *live.Batch, toTable chan<- *live.Batch, recycle func(*live.Batch)) {
	defer close(toTable)
	failed := false
	for b := range in {
		if failed {
			recycle(b)
			continue
		}
		if r.fw != nil {
			if err := r.fw.Write(b); err != nil {
				// The file keeps its complete records; this batch's frames are not in it, so they stay out
				// of the tables too.
				failed = true
				r.fail(err)
				recycle(b)
				continue
			}
		}
		if r.pass == nil {
			recycle(b)
			continue
		}
		if r.o.Wait {
			toTable <- b
			continue
		}
		select {
		case toTable <- b:
		default:
			if r.fw != nil {
				r.tableDrops.Add(int64(len(b.Frames)))
			} else {
				r.queueDrops.Add(int64(len(b.Frames)))
			}
			recycle(b)
		}
	}
}

// tableLoop decodes batches into packet rows and gives them to the pass.
func (r *run) tableLoop(in <-chan *live.Batch, recycle func(*live.Batch)) {
	dec := packet.NewDecoder()
	// The analyses across frames, in capture order, as convert's pipeline runs them: TCP analysis flags,
	// duplicate frames, and reassembled_in (the last frames of a batch that hold fragments of a datagram still
	// in progress wait for the next batch, copied, as the pipeline carries them: packet.FragmentTies.Carry).
	an := tcpanalysis.NewAnalyzer(tcpanalysis.Options{})
	ties := packet.NewFragmentTies()
	rows := make([]packet.Packet, 0, live.BatchFrames+packet.CarryFrames)
	var carry []packet.Packet // the frames carried to the next batch
	var arenas [2][]byte      // their bytes: each batch's carry in the arena the previous one did not use
	cur := 0
	lt := int32(r.src.LinkType())
	failed := false
	for b := range in {
		if failed || r.pass == nil {
			recycle(b)
			continue
		}
		rows = append(rows[:0], carry...)
		for _, f := range b.Frames {
			rows = append(rows, packet.Packet{})
			dec.Decode(&rows[len(rows)-1], packet.Meta{Source: f.Source, Frame: f.Number, Time: f.Time,
				CapLen: int32(len(f.Data)), WireLen: int32(f.WireLen), LinkType: lt}, f.Data)
			an.Packet(&rows[len(rows)-1])
			ties.Tie(rows)
		}
		n := ties.Carry(rows)
		carry, arenas[cur] = carry[:0], arenas[cur][:0]
		for i := len(rows) - n; i < len(rows); i++ {
			carry = append(carry, rows[i])
			arenas[cur] = carry[len(carry)-1].CopyTo(arenas[cur])
		}
		cur ^= 1
		// The pass keeps nothing of the batch once Batch returns (package tables): the frames can be recycled.
		if err := r.pass.Batch(&pipeline.Batch{Source: r.name, Packets: rows[:len(rows)-n]}); err != nil {
			failed = true
			r.fail(fmt.Errorf("write tables: %w", err))
		}
		an.Dups.Forget() // the frames' bytes go back to the source
		recycle(b)
	}
	if !failed && r.pass != nil && len(carry) > 0 {
		if err := r.pass.Batch(&pipeline.Batch{Source: r.name, Packets: carry}); err != nil {
			r.fail(fmt.Errorf("write tables: %w", err))
		}
	}
}
