// Package pipeline reads captures and decodes their frames into batches of packet rows, using every core.
//
// # Order and concurrency
//
// Inputs are read by up to Options.Workers goroutines at once, one file each; a single file is read and decoded
// by one goroutine while the consumer (a writer, an analyzer) runs on another. The number of workers is bounded
// whatever is asked: by the number of inputs, by twice GOMAXPROCS (decoding is CPU-bound; a few more readers than
// cores only hide I/O waits), and by memory (see MaxWorkers). Batches reach the consumer in
// input order and, within an input, in frame order, so the result does not depend on the number of workers.
// The analyses across frames (package tcpanalysis: Wireshark's TCP analysis flags, duplicate frames) run on each
// input's reading goroutine right after decoding, in frame order, with the state of one input.
//
// # Memory
//
// A batch holds at most BatchPackets rows and BatchBytes frame bytes; each input keeps at most a few batches
// in flight, so memory stays bounded whatever the size of the inputs, and the bound on workers keeps the sum
// over workers within a quarter of the machine's memory (and half of a Go memory limit, if one is set). Batches are recycled: the consumer must
// not keep a batch, or slices into it, after its callback returns, unless it called Batch.Keep (then until
// Batch.Release).
//
// # Errors
//
// A damaged input (see capture.Error) ends that input only: the rows read before the damage are delivered, the
// other inputs are still read, and Run returns every input's error joined. An error returned by the consumer
// stops everything. A panic while reading or decoding an input is recovered into that input's error (an
// internal error), so that it ends the run like a failed input rather than the process.
//
// # Cancellation
//
// Cancelling the context stops the run: a FIFO, or a pipe on standard input, is opened and read through
// capture.OpenContext, so that a read waiting for a writer or for data ends too.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/tcpanalysis"
)

// Batch limits.
const (
	BatchPackets = 2048
	BatchBytes   = 2 << 20
	inflight     = 3 // batches queued per input
)

// Batch is a run of consecutive decoded packets of one input. The packets own their bytes (in the batch's
// arena) until the batch is recycled: when Run's callback returns, or after the last Release of a Keep.
type Batch struct {
	Source  string
	Packets []packet.Packet
	arena   []byte
	pool    *batchPool   // nil for a batch not made by Run
	refs    atomic.Int32 // the callback's hold (1 while it runs) and the Keeps not yet released
}

// Keep keeps the batch (its packets and their bytes) from being recycled when Run's callback returns, until
// Release is called once for each Keep: a consumer can go on with a batch on other goroutines. Keep must be
// called before the callback returns.
func (b *Batch) Keep() { b.refs.Add(1) }

// Keepable reports whether Keep keeps the batch from being recycled: a batch made by Run. Another (a batch the
// caller made, as sniff does) is the caller's to recycle, whatever the Keeps.
func (b *Batch) Keepable() bool { return b.pool != nil }

// Release ends one Keep (or the callback's own hold); the batch is recycled at the last. The caller must not use
// the batch after it.
func (b *Batch) Release() {
	if b.refs.Add(-1) == 0 && b.pool != nil {
		b.pool.put(b)
	}
}

// Kept is how many batches a consumer may keep (Batch.Keep) besides the one its callback has without the run
// allocating more: the run's free list holds them too.
const Kept = 4

// Options configure Run. The zero value is valid.
type Options struct {
	// Workers is the number of inputs read at once; 0 means GOMAXPROCS. It is capped by the number of inputs and
	// by MaxWorkers.
	Workers int
	// Stdin is read for the input "-"; nil means os.Stdin (read through capture.OpenContext).
	Stdin io.Reader
	// Progress, if set, is called from reader goroutines with the number of bytes and frames just read from
	// an input. It must be cheap and safe for concurrent use.
	Progress func(bytes, frames int64)
	// Summary, if set, is called from a reader goroutine when input i (an index into Run's inputs) ends, with
	// its capinfos-style summary (capture.Summarize's, counted as the input is read); not for an input that
	// could not be opened, nor when the run is cancelled. It must be safe for concurrent use.
	Summary func(i int, s *capture.Summary)
	// Filter, if set, is called from reader goroutines with every record before it is decoded; a record for
	// which it returns false is dropped, as if the input did not hold it (a capture filter, tcpdump -r FILE
	// EXPR), except that the packets kept keep their frame numbers. Summaries count the records kept. It must be
	// safe for concurrent use and must not keep the record.
	Filter func(rec *capture.Record) bool
}

// Run reads and decodes inputs (paths, or "-" for standard input) and calls fn with each batch, in order, from
// a single goroutine. See the package documentation for ordering, memory and errors.
func Run(ctx context.Context, inputs []string, opts Options, fn func(*Batch) error) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(inputs), MaxWorkers()))
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	pool := newBatchPool(workers*(inflight+3) + Kept)
	type job struct {
		index int
		input string
		out   chan *Batch
		err   error // set before out is closed
	}
	jobs := make([]*job, len(inputs))
	for i, in := range inputs {
		jobs[i] = &job{index: i, input: in, out: make(chan *Batch, inflight)}
	}
	next := make(chan *job)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec := packet.NewDecoder()
			for j := range next {
				j.err = readInputSafe(ctx, j.index, j.input, dec, pool, j.out, opts)
				close(j.out)
			}
		}()
	}
	go func() {
		defer close(next)
		for _, j := range jobs {
			select {
			case next <- j:
			case <-ctx.Done():
				return
			}
		}
	}()

	var errs []error
	var fnErr error
consume:
	for _, j := range jobs {
		for b := range j.out {
			b.refs.Store(1)
			if fnErr == nil {
				fnErr = fn(b)
			}
			b.Release()
			if fnErr != nil {
				cancel()
				break consume
			}
		}
		if j.err != nil {
			errs = append(errs, j.err)
		}
	}
	cancel()
	// Drain so that blocked workers can finish.
	go func() {
		for _, j := range jobs {
			for range j.out {
			}
		}
	}()
	wg.Wait()
	if fnErr != nil {
		return fnErr
	}
	if err := parent.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// readInputSafe is readInput with a panic recovered into the input's error.
func readInputSafe(ctx context.Context, index int, input string, dec *packet.Decoder, pool *batchPool, out chan<- *Batch, opts Options) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%s: internal error: %v (please report it)", input, v)
		}
	}()
	return readInput(ctx, index, input, dec, pool, out, opts)
}

// testHookRead, if set, is called by readInput with each input before it is opened (tests make it panic).
var testHookRead func(input string)

func readInput(ctx context.Context, index int, input string, dec *packet.Decoder, pool *batchPool, out chan<- *Batch, opts Options) error {
	if testHookRead != nil {
		testHookRead(input)
	}
	progress := opts.Progress
	var r *capture.Reader
	var err error
	if input == "-" && opts.Stdin != nil && opts.Stdin != io.Reader(os.Stdin) {
		r, err = capture.NewReader(opts.Stdin, "-")
	} else {
		r, err = capture.OpenContext(ctx, input)
	}
	if err != nil {
		return err
	}
	defer r.Close()
	var sum *capture.Summarizer
	if opts.Summary != nil {
		sum = capture.NewSummarizer(r)
	}
	b := pool.get()
	b.Source = input
	var lastOff int64
	// The analyses across frames (TCP sequence analysis, duplicate frames) run here, in frame order, per input.
	an := tcpanalysis.NewAnalyzer(tcpanalysis.Options{})
	ties := packet.NewFragmentTies() // packets.reassembled_in, within the batch
	send := func() bool {
		an.Dups.Forget() // the batch's bytes are the consumer's now
		if progress != nil {
			progress(0, int64(len(b.Packets)))
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return false
		}
		b = pool.get()
		b.Source = input
		return true
	}
	for {
		rec, err := r.Next()
		if err != nil {
			if len(b.Packets) > 0 {
				if !send() {
					return ctx.Err()
				}
			}
			pool.put(b)
			if sum != nil {
				opts.Summary(index, sum.Finish(err))
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if progress != nil {
			progress(rec.Offset-lastOff, 0)
			lastOff = rec.Offset
		}
		if opts.Filter != nil && !opts.Filter(rec) {
			continue
		}
		if sum != nil {
			sum.Add(rec)
		}
		start := len(b.arena)
		b.arena = append(b.arena, rec.Data...)
		b.Packets = append(b.Packets, packet.Packet{})
		p := &b.Packets[len(b.Packets)-1]
		dec.Decode(p, Meta(rec), b.arena[start:len(b.arena):len(b.arena)])
		an.Packet(p)
		ties.Tie(b.Packets)
		if len(b.Packets) == cap(b.Packets) || len(b.arena) >= BatchBytes {
			// The last frames, from a fragment whose datagram is still incomplete, go to the next batch (copied
			// before this one is handed on), so that reassembled_in can still be set on them.
			var next *Batch
			if n := ties.Carry(b.Packets); n > 0 {
				next = pool.get()
				next.Source = input
				for i := len(b.Packets) - n; i < len(b.Packets); i++ {
					next.Packets = append(next.Packets, b.Packets[i])
					next.arena = next.Packets[len(next.Packets)-1].CopyTo(next.arena)
				}
				b.Packets = b.Packets[:len(b.Packets)-n]
			}
			if !send() {
				return ctx.Err()
			}
			if next != nil {
				pool.put(b)
				b = next
			}
		}
	}
}

// batchPool is the run's free list of batches. Unlike a sync.Pool, which every garbage collection empties (and
// a run of several tables collects often, under its memory limit), it keeps the batches for the whole run, so
// that their arenas and rows are allocated (and zeroed) once rather than after each collection. It holds at most
// the batches the run can have at once (workers × (inflight + 3), plus Kept); a batch put beyond that is left to the
// collector.
type batchPool struct {
	free chan *Batch
}

func newBatchPool(n int) *batchPool { return &batchPool{free: make(chan *Batch, n)} }

// get returns a free batch, or a new one.
func (p *batchPool) get() *Batch {
	select {
	case b := <-p.free:
		return b
	default:
		return &Batch{Packets: make([]packet.Packet, 0, BatchPackets), arena: make([]byte, 0, BatchBytes+64<<10), pool: p}
	}
}

// put recycles b, emptied. (Its rows beyond the length are overwritten as they are appended again.)
func (p *batchPool) put(b *Batch) {
	b.Packets, b.arena, b.Source = b.Packets[:0], b.arena[:0], ""
	select {
	case p.free <- b:
	default:
	}
}

// MaxWorkers is the most inputs Run reads at once: twice GOMAXPROCS, and no more workers than fit in a quarter
// of the machine's memory or of its cgroup's limit (half of the Go memory limit if one is set with
// debug.SetMemoryLimit or GOMEMLIMIT), counting for each the batches it may hold (workerBytes). It is at least 1.
func MaxWorkers() int {
	budget := int64(1 << 30) // if the machine's memory is unknown
	if total := totalMemory(); total > 0 {
		budget = total / 4
	}
	if limit := debug.SetMemoryLimit(-1); limit > 0 && limit < math.MaxInt64 {
		budget = min(budget, limit/2)
	}
	return int(max(1, min(2*int64(runtime.GOMAXPROCS(0)), budget/workerBytes)))
}

// workerBytes is what one worker may hold at once: its queued batches, the one it fills and the one the
// consumer holds, and the capture reader's buffers (about 1 MiB each for the raw and the decompressed stream, and
// the decompressor's window), and the state of the analysis across frames (tcpanalysis.StateBytes at most).
const workerBytes = (inflight+2)*(BatchBytes+64<<10+BatchPackets*int64(unsafe.Sizeof(packet.Packet{}))) + 3<<20 + tcpanalysis.StateBytes

// totalMemory returns the machine's memory in bytes (or the memory limit of its cgroup, version 2, if lower), or
// 0 if unknown.
func totalMemory() int64 {
	var total int64
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				f := strings.Fields(rest)
				if len(f) == 2 && f[1] == "kB" {
					if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
						total = kb << 10
					}
				}
			}
		}
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if limit, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && limit > 0 && (total == 0 || limit < total) {
			total = limit // "max" (no limit) does not parse
		}
	}
	return total
}

// Meta converts a capture record's metadata to a packet's.
func Meta(rec *capture.Record) packet.Meta {
	return packet.Meta{
		NoTime:    rec.NoTime,
		Source:    rec.Source,
		Frame:     rec.Frame,
		Time:      rec.Time,
		CapLen:    int32(rec.CapLen),
		WireLen:   int32(rec.WireLen),
		LinkType:  int32(rec.LinkType),
		Interface: int32(rec.Interface),
		Comment:   rec.Comment,
	}
}
