package tables

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"time"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/stream"
)

// Defaults of Options.
const (
	DefaultMaxStreams = 4096     // TCP connections reassembled at once for the analyzers
	DefaultMaxBuffer  = 64 << 10 // out-of-order bytes held per direction of a reassembled connection
)

// Options configure a run. The zero value selects the defaults.
type Options struct {
	// Pipeline configures the reading of the inputs (workers, progress, summaries, standard input).
	Pipeline pipeline.Options
	// Flow configures the run's one flow tracker (timeouts, MaxFlows), as for the flows table.
	Flow flow.Options
	// Endpoints configures the endpoints table.
	Endpoints flow.EndpointOptions
	// Stream configures the reassembly of the TCP connections analyzers ask for. If Stream.MaxBuffer <= 0,
	// DefaultMaxBuffer; if Stream.Window is 0, no delivered bytes are kept (the window only serves to count
	// retransmitted bytes that differ from the first copy, which analyzers do not see).
	Stream stream.Options
	// MaxStreams caps the TCP connections reassembled at once: a connection that starts while MaxStreams are
	// reassembled is not offered to the analyzers' Stream (Stats.SkippedStreams). If <= 0, DefaultMaxStreams.
	// Reassembly memory is at most MaxStreams × 2 × Stream.MaxBuffer (plus 2 × Stream.Window with a window).
	MaxStreams int
	// Services runs, whenever the flows table is built, the analyzers that name services (analyzer.Service)
	// even when their tables are not selected (their rows are dropped), so that flows.service is the one a run
	// of every table gives. Off, flows.service takes the answers of the analyzers the run builds anyway: a run of
	// the flows table alone gives the port- and payload-based guess of package flow, at the cost of the flows
	// table alone.
	Services bool
	// MemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) that Run sets for the time of a run of
	// several tables, so that the garbage collector works to a budget rather than letting the heap grow to twice
	// its live size: BudgetMemoryLimit for MemoryBudget of the tables (convert --tables), a number of bytes, or
	// 0 for none (the default: a consumer with writers of its own, such as the SQL loader, knows its own memory
	// better). A limit the process already has (GOMEMLIMIT, or its own SetMemoryLimit) is left as it is.
	MemoryLimit int64
}

func (o Options) withDefaults() Options {
	if o.Stream.MaxBuffer <= 0 {
		o.Stream.MaxBuffer = DefaultMaxBuffer
	}
	if o.Stream.Window == 0 {
		o.Stream.Window = -1
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = DefaultMaxStreams
	}
	return o
}

// env is what a builder is started with.
type env struct {
	opts  Options
	notes *notes // nil: notes are not counted (the analyzers that only name services)
}

// Output is one table of a run and the writer its rows go to.
type Output struct {
	Def    *Def
	Writer Writer
}

// Stats counts what a pass did.
type Stats struct {
	Flow           flow.Stats // the tracker's counters (zero when no table needs flows)
	Streams        int64      // TCP connections reassembled for the analyzers
	SkippedStreams int64      // TCP connections not reassembled because MaxStreams were at once
	Gaps, GapBytes int64      // holes in the reassembled connections
	DoneStreams    int64      // connections no longer reassembled because every handler was done
	// Notes counts the notes of the rows written, per table and kind (see NoteCount), in the order of the
	// outputs, then most frequent first; like Zeek's weird.log, a run tells what it found wrong in the capture.
	Notes []NoteCount
}

// Pass builds several tables from one read of the packets: every batch goes to the batch builders (each on a
// goroutine of its own) and, on the calling goroutine, through the one flow tracker to the analyzers and the
// flows table. See the package documentation.
type Pass struct {
	opts      Options
	batchers  []BatchBuilder
	flowers   []FlowBuilder
	analyzers []analyzer.Analyzer
	services  []analyzer.Service
	tracker   *flow.Tracker
	conns     map[*flow.Flow]*conn
	free      []*conn                 // ended connections, reused (at most as many as were analysed at once)
	active    int                     // connections reassembled now
	filters   []analyzer.StreamFilter // per analyzer, its StreamFilter or nil
	pk        analyzer.Packet
	queues    []*builderQueue // the batch builders' goroutines, from the first batch to Close
	err       error           // the error that stopped the pass
	closed    bool
	stats     Stats
	notes     *notes
}

// conn is a flow being analysed. Conns are reused (Pass.free), with their slices, reassembler and emit function.
type conn struct {
	p        *Pass
	f        analyzer.Flow
	tcp      *stream.TCP // nil when no analyzer may want the connection, or every handler is done
	offered  bool        // the connection was offered to the analyzers' Stream (at its first bytes or gap)
	handlers []analyzer.StreamHandler
	doners   []analyzer.StreamDone // the handlers that can say they are done; all of them, or none
	spare    *stream.TCP           // the reset reassembler of an earlier connection, for the next one
	emit     func(*stream.Chunk) error
}

// done reports whether the connection needs no more reassembly: it was offered and no analyzer took it, or
// every stream handler said it wants no more data.
func (c *conn) done() bool {
	if c.offered && len(c.handlers) == 0 {
		return true
	}
	if len(c.doners) == 0 || len(c.doners) < len(c.handlers) {
		return false
	}
	for _, d := range c.doners {
		if !d.Done() {
			return false
		}
	}
	return true
}

// NewPass starts building the tables of outs. Each table's rows go to its writer, which the caller closes
// after Pass.Close (or aborts).
func NewPass(outs []Output, opts Options) (*Pass, error) {
	opts = opts.withDefaults()
	p := &Pass{opts: opts}
	p.notes = &notes{tables: map[string]*noteCounter{}}
	e := &env{opts: opts, notes: p.notes}
	for i, o := range outs {
		if o.Def == nil || o.Writer == nil {
			return nil, fmt.Errorf("build tables: output %d has no table or no writer", i)
		}
		if slices.ContainsFunc(outs[:i], func(x Output) bool { return x.Def == o.Def }) {
			return nil, fmt.Errorf("build tables: table %s selected twice", o.Def.Name())
		}
		b, err := o.Def.start(o.Writer, e)
		if err != nil {
			return nil, err
		}
		switch b := b.(type) {
		case BatchBuilder:
			p.batchers = append(p.batchers, b)
		case FlowBuilder:
			p.flowers = append(p.flowers, b)
		case analyzer.Analyzer:
			p.analyzers = append(p.analyzers, b)
			if s, ok := b.(analyzer.Service); ok {
				p.services = append(p.services, s)
			}
		}
	}
	if len(p.flowers) > 0 && opts.Services {
		// The flows table's service column comes from the analyzers that name services, selected or not.
		for _, d := range list {
			if !d.service || slices.ContainsFunc(outs, func(o Output) bool { return o.Def == d }) {
				continue
			}
			b, err := d.start(discard{}, &env{opts: opts})
			if err != nil {
				return nil, err
			}
			a := b.(analyzer.Analyzer)
			p.analyzers = append(p.analyzers, a)
			p.services = append(p.services, a.(analyzer.Service))
		}
	}
	p.filters = make([]analyzer.StreamFilter, len(p.analyzers))
	for i, a := range p.analyzers {
		p.filters[i], _ = a.(analyzer.StreamFilter)
	}
	if len(p.flowers) > 0 || len(p.analyzers) > 0 {
		p.tracker = flow.NewTracker(opts.Flow, p.ended)
	}
	if len(p.analyzers) > 0 {
		p.conns = make(map[*flow.Flow]*conn)
	}
	return p, nil
}

// discard is the Writer of a table that runs only for the flows table's service column.
type discard struct{}

func (discard) Write(any) error { return nil }
func (discard) Close() error    { return nil }
func (discard) Abort() error    { return nil }

// Stats returns the counters so far.
func (p *Pass) Stats() Stats {
	if p.tracker != nil {
		p.stats.Flow = p.tracker.Stats()
	}
	st := p.stats
	st.Notes = p.notes.counts()
	return st
}

// Batch takes the next batch of packets, in capture order. After an error the pass is stopped: later calls
// return the same error and Close writes nothing more. The batch builders may still be reading a batch of
// pipeline.Run when Batch returns (they keep it: pipeline.Batch.Keep); any other batch is done with when Batch
// returns.
func (p *Pass) Batch(b *pipeline.Batch) error {
	if p.err != nil {
		return p.err
	}
	if len(p.batchers) == 1 && p.tracker == nil {
		// one builder and nothing else: on this goroutine
		if err := p.batchers[0].Batch(b); err != nil {
			p.err = err
			return err
		}
		return nil
	}
	// The batch builders (the packets table's encoding) take the batch on goroutines of their own, each from a
	// queue of a few batches (kept from recycling until they are done with them: pipeline.Batch.Keep), while
	// this one tracks flows: a builder that takes longer than the flows for one batch catches up on the next.
	if err := p.startBuilders(); err != nil {
		p.err = err
		return err
	}
	for _, q := range p.queues {
		b.Keep()
		q.pending.Add(1)
		q.ch <- b
	}
	var ferr error
	if p.tracker != nil {
		ferr = p.flowBatch(b)
	}
	if !b.Keepable() {
		for _, q := range p.queues {
			q.pending.Wait()
		}
	}
	if ferr != nil {
		p.err = ferr
		return ferr
	}
	return nil
}

// builderQueue is one batch builder's goroutine and the batches queued for it.
type builderQueue struct {
	bb   BatchBuilder
	ch   chan *pipeline.Batch
	done chan struct{}
	// pending counts the batches queued and not yet built (waited for when the batch cannot be kept)
	pending sync.WaitGroup
	mu      sync.Mutex
	err     error // the builder's first error; later batches are released unread
}

// builderQueueLen is how many batches wait for a builder at most: with the one it builds, the batches the run
// keeps (pipeline.Kept; the builders share them).
const builderQueueLen = pipeline.Kept - 1

// startBuilders starts the builders' goroutines at the first batch, and returns the first error of a builder.
func (p *Pass) startBuilders() error {
	if p.queues == nil {
		p.queues = make([]*builderQueue, len(p.batchers))
		for i, bb := range p.batchers {
			q := &builderQueue{bb: bb, ch: make(chan *pipeline.Batch, builderQueueLen), done: make(chan struct{})}
			p.queues[i] = q
			go q.run()
		}
		return nil
	}
	for _, q := range p.queues {
		if err := q.error(); err != nil {
			return err
		}
	}
	return nil
}

func (q *builderQueue) run() {
	defer close(q.done)
	for b := range q.ch {
		if q.error() == nil {
			if err := q.bb.Batch(b); err != nil {
				q.mu.Lock()
				q.err = err
				q.mu.Unlock()
			}
		}
		b.Release()
		q.pending.Done()
	}
}

func (q *builderQueue) error() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// stopBuilders waits for the builders to finish the batches queued, and returns their errors.
func (p *Pass) stopBuilders() error {
	var errs []error
	for _, q := range p.queues {
		close(q.ch)
		<-q.done
		errs = append(errs, q.error())
	}
	p.queues = nil
	return errors.Join(errs...)
}

// flowBatch gives every frame to the tracker (flow.Tracker.AddFrame: the packets inside its tunnels and the IP
// datagrams its fragments complete count too) and every packet counted, with its flow, to the analyzers.
func (p *Pass) flowBatch(b *pipeline.Batch) error {
	for i := range b.Packets {
		var fn func(*packet.Packet, *flow.Flow, bool) error
		if p.conns != nil {
			fn = p.analyze
		}
		if err := p.tracker.AddFrame(&b.Packets[i], fn); err != nil {
			return err
		}
	}
	return nil
}

// analyze gives one packet counted in flow f to the analyzers and to its connection's reassembler.
func (p *Pass) analyze(pk *packet.Packet, f *flow.Flow, fromOrig bool) error {
	c := p.conns[f]
	if c == nil {
		c = p.open(f)
		p.conns[f] = c
	}
	p.pk = analyzer.Packet{Packet: pk, Flow: &c.f, FromOrig: fromOrig}
	for _, a := range p.analyzers {
		if err := a.Packet(&p.pk); err != nil {
			return err
		}
	}
	if c.tcp != nil {
		side := stream.Server
		if fromOrig {
			side = stream.Client
		}
		if err := c.tcp.Add(pk, side); err != nil {
			return err
		}
		if c.done() {
			p.stopStream(c, true)
		}
	}
	return nil
}

// open starts analysing flow f at its first packet. A TCP connection that some analyzer may want (all of them,
// but those whose StreamFilter says no) is reassembled; it is offered to the analyzers' Stream at its first
// bytes or gap (offer), so that the many connections that carry nothing (scans, refused or idle connections)
// cost no analyzer state.
func (p *Pass) open(f *flow.Flow) *conn {
	var c *conn
	if n := len(p.free); n > 0 {
		c = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		c = &conn{p: p}
		c.emit = c.chunk
	}
	c.f = analyzer.Flow{UID: f.UID(), CommunityID: f.CommunityID(), Proto: f.Proto,
		Orig: netip.AddrPortFrom(f.OrigH.Unmap(), f.OrigP), Resp: netip.AddrPortFrom(f.RespH.Unmap(), f.RespP),
		Stream: f.Stream, Start: f.TS}
	if f.Proto != 6 {
		return c
	}
	if !slices.ContainsFunc(p.filters, func(fl analyzer.StreamFilter) bool { return fl == nil || fl.WantStream(&c.f) }) {
		return c
	}
	if p.active >= p.opts.MaxStreams {
		p.stats.SkippedStreams++
		return c
	}
	if c.spare != nil {
		c.tcp, c.spare = c.spare, nil // reset when it stopped
	} else {
		c.tcp = stream.NewTCP(p.opts.Stream, c.emit)
	}
	p.active++
	p.stats.Streams++
	return c
}

// offer gives the connection to the analyzers that may want it, at its first bytes or gap.
func (c *conn) offer() {
	c.offered = true
	for i, a := range c.p.analyzers {
		if fl := c.p.filters[i]; fl != nil && !fl.WantStream(&c.f) {
			continue
		}
		if h := a.Stream(&c.f); h != nil {
			c.handlers = append(c.handlers, h)
			if d, ok := h.(analyzer.StreamDone); ok {
				c.doners = append(c.doners, d)
			}
		}
	}
}

// chunk passes reassembled data or a gap to the connection's stream handlers.
func (c *conn) chunk(ch *stream.Chunk) error {
	if !c.offered {
		c.offer()
	}
	fromOrig := ch.Side == stream.Client
	for _, h := range c.handlers {
		var err error
		if ch.Gap > 0 {
			err = h.Gap(fromOrig, ch.Gap, ch.Frame, ch.Time)
		} else {
			err = h.Data(fromOrig, ch.Data, ch.Frame, ch.Time)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stopStream drops the connection's reassembler: the connection ended, or (early) its handlers are done.
func (p *Pass) stopStream(c *conn, early bool) {
	st := c.tcp.Stats()
	p.stats.Gaps += st.Gaps[0] + st.Gaps[1]
	p.stats.GapBytes += st.GapBytes[0] + st.GapBytes[1]
	if early && len(c.handlers) > 0 {
		p.stats.DoneStreams++
	}
	c.tcp.Reset(p.opts.Stream, c.emit) // drops the out-of-order bytes it held
	c.tcp, c.spare = nil, c.tcp
	p.active--
}

// release keeps the ended connection c for a later one, without what it referred to.
func (p *Pass) release(c *conn) {
	clear(c.handlers)
	clear(c.doners)
	c.f, c.handlers, c.doners, c.offered = analyzer.Flow{}, c.handlers[:0], c.doners[:0], false
	p.free = append(p.free, c)
}

// ended is the tracker's emit function: it ends the flow's stream, asks the analyzers for its service, tells
// them the flow ended, and writes the flows row.
func (p *Pass) ended(f *flow.Flow) error {
	if c := p.conns[f]; c != nil {
		delete(p.conns, f)
		if c.tcp != nil {
			if err := c.tcp.Close(); err != nil {
				return err
			}
			p.stopStream(c, false)
		}
		for _, h := range c.handlers {
			if err := h.End(); err != nil {
				return err
			}
		}
		for _, s := range p.services {
			if name := s.Service(c.f.UID); name != "" {
				f.Service = name
				break
			}
		}
		for _, a := range p.analyzers {
			if err := a.FlowEnd(&c.f); err != nil {
				return err
			}
		}
		p.release(c)
	}
	for _, fb := range p.flowers {
		if err := fb.Flow(f); err != nil {
			return err
		}
	}
	return nil
}

// Close ends every flow still open and has every builder write what it holds; after an error stopped the pass
// it only waits for the builders' goroutines and aborts the analyzers that work on goroutines of their own
// (analyzer.Aborter), and returns that error. It must be called once the batches are
// given, after an error too. It does not close the writers.
func (p *Pass) Close() error {
	if p.closed {
		return p.err
	}
	p.closed = true
	if err := p.stopBuilders(); err != nil && p.err == nil {
		p.err = err
	}
	if p.err != nil {
		for _, a := range p.analyzers {
			if ab, ok := a.(analyzer.Aborter); ok {
				ab.Abort() // their goroutines stop before the caller aborts the writers
			}
		}
		return p.err
	}
	var errs []error
	if p.tracker != nil {
		if err := p.tracker.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range p.analyzers {
		errs = append(errs, a.Close())
	}
	for _, fb := range p.flowers {
		errs = append(errs, fb.Close())
	}
	for _, bb := range p.batchers {
		errs = append(errs, bb.Close())
	}
	p.err = errors.Join(errs...)
	return p.err
}

// Run reads the inputs once (pipeline.Run) and builds every table of outs; see the package documentation. The
// error joins the inputs' errors (a damaged input ends only that input) with the builders' and writers'. The
// writers are left open: the caller closes them, or aborts them after an error that makes the output useless.
func Run(ctx context.Context, inputs []string, outs []Output, opts Options) (Stats, error) {
	p, err := NewPass(outs, opts)
	if err != nil {
		return Stats{}, err
	}
	if lim := opts.MemoryLimit; lim != 0 && len(outs) > 1 {
		if lim == BudgetMemoryLimit {
			defs := make([]*Def, len(outs))
			for i, o := range outs {
				defs[i] = o.Def
			}
			lim = MemoryBudget(defs)
		}
		defer limitMemory(lim)()
	}
	runErr := pipeline.Run(ctx, inputs, opts.Pipeline, p.Batch)
	if errors.Is(runErr, context.Canceled) && ctx.Err() == nil {
		// pipeline.Run reports its own internal cancellation after a complete run; the caller's context is fine.
		runErr = nil
	}
	if p.err != nil {
		// The pass stopped itself: runErr is its error (Close only stops the builders' goroutines).
		p.Close()
		return p.Stats(), runErr
	}
	if err := p.Close(); err != nil {
		return p.Stats(), errors.Join(runErr, fmt.Errorf("build tables: %w", err))
	}
	return p.Stats(), runErr
}

// The memory budget of a run of several tables (MemoryBudget), measured on the 1,000,000-packet bench capture
// (BENCHMARKS.md, "All tables in one pass"): the live heap of a run of packets, flows, dns and tls peaks at about
// 125 MB (150 MB before the pipeline kept its batches in a free list of plain memory), of which
//
//   - budgetBase, what any run holds besides its writers: the batches read and decoded ahead (about 18 MB: up to
//     six batches of 2,048 rows and a 2 MiB arena each), the flow tracker with its memory of 131,072 ended
//     conversations for Wireshark's stream numbers (about 20 MB), the TCP analysis of the reading goroutine (about
//     10 MB), IP fragments (up to 16 MiB, about 5 MB here), reassembly and the analyzers' state;
//   - budgetPackets, the packet table's writer: its row group of 8 MiB of values (wideRowGroupBytes), compressed,
//     a 128 KiB page of values per column (widePageBytes), the dictionaries of its String columns and the zstd encoders;
//   - budgetTable, every other table's writer: a 4 MiB row group (narrowRowGroupBytes), a 32 KiB page and a
//     64 KiB block per column, its dictionaries, and its analyzer's rows in flight.
//
// The budget adds headroom for the garbage produced between collections (the pass allocates about 410 MB in
// all on the bench capture, mostly the rows and pages it writes).
const (
	budgetBase    = 80 << 20
	budgetPackets = 56 << 20
	budgetTable   = 8 << 20
)

// BudgetMemoryLimit as Options.MemoryLimit asks Run for MemoryBudget of the tables as its soft memory limit.
const BudgetMemoryLimit = -1

// MemoryBudget returns the soft memory limit Run sets for a run of tables (Options.MemoryLimit BudgetMemoryLimit):
// a base for the
// reading, the flow tracker and the analyzers, plus each table's writer: 160 MiB for packets, flows, dns and tls
// (the pcapframe binary itself keeps about 36 MB resident on top: DuckDB's code and data).
func MemoryBudget(defs []*Def) int64 {
	n := int64(budgetBase)
	for _, d := range defs {
		if d.wide {
			n += budgetPackets
		} else {
			n += budgetTable
		}
	}
	return n
}

// limitMemory sets the soft memory limit lim unless the process has one, and returns the function that restores
// the previous one. While it is set, a watcher keeps the limit at least an eighth above the live heap (read
// after each collection), so that a capture that needs more memory than the budget (many more flows at once)
// costs a higher limit rather than a collector that runs all the time.
func limitMemory(lim int64) (restore func()) {
	prev := debug.SetMemoryLimit(-1)
	if prev != math.MaxInt64 {
		return func() {}
	}
	debug.SetMemoryLimit(lim)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		cur := lim
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			live := int64(min(sample[0].Value.Uint64(), math.MaxInt64/2))
			if want := live + live/8; want > cur {
				cur = want
				debug.SetMemoryLimit(cur)
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		debug.SetMemoryLimit(prev)
	}
}
