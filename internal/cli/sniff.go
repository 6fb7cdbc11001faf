package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/live"
	"github.com/pcapframe/pcapframe/live/filter"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// SniffOptions are the flags of sniff.
type SniffOptions struct {
	List       bool
	Interface  string
	Filter     string
	Count      int64
	Duration   time.Duration
	Snaplen    int
	Write      string
	Output     string
	Format     string
	Columns    []string
	Tables     []string
	RotateSize string
	RotateTime time.Duration
	Keep       int
	Promisc    bool
	Buffer     string
	Quiet      bool
}

// NewCmdSniff builds `pcapframe sniff`.
func NewCmdSniff(io *IO) *cobra.Command {
	o := &SniffOptions{}
	cmd := &cobra.Command{
		Use:   "sniff -i INTERFACE [-f FILTER] [-c COUNT] [--duration D] (-w FILE | -o TABLE | --tables LIST -o DIR)",
		Short: "Capture live traffic to a pcap/pcapng file and/or the packet table (Linux)",
		Long: `Capture packets from a network interface until COUNT packets, after the duration D, or until Ctrl-C
(SIGINT or SIGTERM), and write them to a capture file (-w, .pcap or .pcapng), to the packet table (-o, .parquet,
.csv or .jsonl, or - for standard output with --format), or to both at once. Stopping with Ctrl-C is the normal
end of a capture: the files are complete and the exit status is 0.

The filter uses tcpdump's syntax (pcap-filter(7)) and runs in the kernel, so packets it rejects cost nothing;
it can also be given as the arguments after the flags. Capturing uses Linux packet sockets (no libpcap) and
needs root or the CAP_NET_RAW capability. Timestamps are the kernel's receive times, in nanoseconds.

-w can rotate files by size (--rotate-size 100MB) or by time (--rotate-time 1h), naming them FILE-00001.pcapng,
FILE-00002.pcapng, ..., and --keep K deletes all but the last K, so a long capture never fills the disk. The
capture file is written in place and holds only complete records after every write. The table is written to a
temporary file, renamed when the capture ends; its source and frame columns name the capture file and frame
number each packet was written to (or the interface and capture order without -w).

--tables LIST writes several tables into the directory -o DIR instead, one file per table (NAME.parquet, or
the extension of --format), built from the one capture as 'pcapframe convert --tables' builds them: one flow
tracker, TCP reassembly and the protocol analyzers, so that flows, dns, tls, ... are written as the traffic is
captured. The packets table is written in its default selection, every other table whole. Tables: ` + strings.Join(tables.Names(), ", ") + `.

While capturing, standard error shows the packets and bytes captured and the packets dropped, when it is a
terminal; the final counts are always printed. "Dropped by the kernel" means the capture ring was full;
"dropped by pcapframe" means a file or table writer fell behind (the capture file is written first, so the
table drops first).

Columns of the packet table (* marks the default selection; --columns all selects every column):
` + packet.Table.Help(),
		Example: `  pcapframe sniff --list
  sudo pcapframe sniff -i eth0 -c 100 -w first100.pcapng
  sudo pcapframe sniff -i eth0 -f "tcp port 443" --duration 1m -w tls.pcap -o tls.parquet
  sudo pcapframe sniff -i lo udp and port 53 -o - --format csv --columns time,src,dst,len
  sudo pcapframe sniff -i eth0 -w ring.pcapng --rotate-size 100MB --keep 10
  sudo pcapframe sniff -i eth0 --duration 10m -w cap.pcapng --tables packets,flows,dns,tls -o cap-tables`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSniff(cmd, io, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.List, "list", "D", false, "list the network interfaces and exit")
	f.StringVarP(&o.Interface, "interface", "i", "", "interface to capture on (see --list)")
	f.StringVarP(&o.Filter, "filter", "f", "", `capture filter in tcpdump syntax, e.g. "udp and port 53"`)
	f.Int64VarP(&o.Count, "count", "c", 0, "stop after this many packets (0: no limit)")
	f.DurationVar(&o.Duration, "duration", 0, "stop after this long, e.g. 30s or 5m (0: no limit)")
	f.IntVarP(&o.Snaplen, "snaplen", "s", live.DefaultSnaplen, "bytes kept of each packet (1 to 262144)")
	f.StringVarP(&o.Write, "write", "w", "", "capture file to write (.pcap or .pcapng)")
	f.StringVarP(&o.Output, "output", "o", "", "packet table to write (.parquet, .csv, .jsonl), or - for standard output")
	f.StringVar(&o.Format, "format", "", "table format: parquet, csv or jsonl (default: from the output's extension)")
	f.StringSliceVar(&o.Columns, "columns", nil, "table columns, comma-separated (default: the default selection; all: every column)")
	f.StringSliceVar(&o.Tables, "tables", nil, "tables to write into the directory -o DIR, comma-separated: "+strings.Join(tables.Names(), ", "))
	f.StringVar(&o.RotateSize, "rotate-size", "", "start a new capture file before one exceeds this size, e.g. 100MB or 1GiB")
	f.DurationVar(&o.RotateTime, "rotate-time", 0, "start a new capture file when one spans this long, e.g. 1h")
	f.IntVar(&o.Keep, "keep", 0, "with rotation, keep only the last K capture files (0: keep all)")
	f.BoolVar(&o.Promisc, "promisc", false, "put the interface in promiscuous mode")
	f.StringVar(&o.Buffer, "buffer", "64MiB", "size of the kernel capture ring")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no live statistics on standard error")
	return cmd
}

// parseSize parses a byte size: a number with an optional unit B, KB, MB, GB, TB (powers of 1000) or KiB,
// MiB, GiB, TiB (powers of 1024), in any letter case; K, M, G, T alone are powers of 1000.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(strings.TrimSpace(t[i:]))
	mult := map[string]float64{
		"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v < 0 || v*mult > 1<<62 {
		return 0, fmt.Errorf("invalid size %q (use a number with B, KB, MB, GB, KiB, MiB or GiB)", s)
	}
	return int64(v * mult), nil
}

// validate checks the flags and returns the capture filter.
func (o *SniffOptions) validate(args []string) (string, error) {
	expr := o.Filter
	if len(args) > 0 {
		if o.Filter != "" {
			return "", usagef("give the filter either with -f or as arguments, not both")
		}
		expr = strings.Join(args, " ")
	}
	switch {
	case o.Interface == "":
		return "", usagef("no interface: give -i INTERFACE (pcapframe sniff --list shows them)")
	case o.Write == "" && o.Output == "":
		return "", usagef("nothing to write: give -w FILE.pcapng, -o TABLE.parquet, or both")
	case o.Count < 0:
		return "", usagef("--count must not be negative")
	case o.Duration < 0 || o.RotateTime < 0:
		return "", usagef("durations must not be negative")
	case o.Snaplen < 1 || o.Snaplen > live.MaxSnaplen:
		return "", usagef("--snaplen must be between 1 and %d", live.MaxSnaplen)
	case o.Keep < 0:
		return "", usagef("--keep must not be negative")
	case (o.RotateSize != "" || o.RotateTime > 0) && o.Write == "":
		return "", usagef("--rotate-size and --rotate-time need -w")
	case o.Keep > 0 && o.RotateSize == "" && o.RotateTime == 0:
		return "", usagef("--keep needs --rotate-size or --rotate-time")
	case o.Write != "" && o.Write == o.Output:
		return "", usagef("-w and -o name the same file")
	case len(o.Tables) > 0 && (o.Output == "" || o.Output == "-"):
		return "", usagef("--tables writes one file per table into a directory: give -o DIR")
	case len(o.Tables) > 0 && len(o.Columns) > 0:
		return "", usagef("--columns selects the columns of one table: with --tables every column is written")
	}
	if o.Write != "" {
		if _, err := live.FileFormatFromPath(o.Write); err != nil {
			return "", &UsageError{err}
		}
	}
	return expr, nil
}

func runSniff(cmd *cobra.Command, io *IO, o *SniffOptions, args []string) error {
	if o.List {
		return listInterfaces(io)
	}
	expr, err := o.validate(args)
	if err != nil {
		return err
	}
	var rotateSize int64
	if o.RotateSize != "" {
		if rotateSize, err = parseSize(o.RotateSize); err != nil {
			return &UsageError{err}
		}
		if rotateSize < 1024 {
			return usagef("--rotate-size %s is too small (at least 1KiB)", o.RotateSize)
		}
	}
	buffer, err := parseSize(o.Buffer)
	if err != nil {
		return &UsageError{err}
	}
	var tableFormat sink.Format
	var defs []*tables.Def
	if len(o.Tables) > 0 {
		if defs, err = tables.Select(o.Tables); err != nil {
			return &UsageError{err}
		}
		tableFormat = sink.Parquet
		if o.Format != "" {
			if tableFormat, err = sink.ParseFormat(o.Format); err != nil {
				return &UsageError{err}
			}
		}
		if fi, err := os.Stat(o.Output); err == nil && !fi.IsDir() {
			return usagef("-o %q is not a directory (--tables writes one file per table into -o DIR)", o.Output)
		}
	} else if o.Output != "" {
		if tableFormat, err = outputFormat(o.Output, o.Format); err != nil {
			return err
		}
	}

	// Check the interface and the filter before asking for privileges, so that mistakes are reported as such.
	if o.Interface == "any" {
		return usagef("capturing on all interfaces at once (any) is not supported: name one interface")
	}
	ifc, err := live.InterfaceByName(o.Interface)
	if errors.Is(err, live.ErrNoInterface) {
		return fmt.Errorf("interface %q not found (pcapframe sniff --list shows the interfaces)", o.Interface)
	}
	if err != nil {
		return err
	}
	if ifc.LinkType != 0 {
		if _, err := filter.Compile(expr, ifc.LinkType, uint32(o.Snaplen)); err != nil {
			var fe *filter.Error
			if errors.As(err, &fe) {
				return usagef("invalid filter %q: %v", expr, err)
			}
			return err
		}
	}
	h, err := live.Open(o.Interface, live.Options{Filter: expr, Snaplen: o.Snaplen, Promiscuous: o.Promisc,
		BufferSize: int(min(buffer, 1<<40))})
	if err != nil {
		return err
	}
	defer h.Close()

	s := &sniffer{io: io, o: o, h: h}
	if o.Write != "" {
		s.fw, err = live.NewWriter(o.Write, live.WriterOptions{LinkType: h.LinkType(), Snaplen: h.Snaplen(),
			Interface: ifc.Name, Filter: expr, RotateSize: rotateSize, RotateTime: o.RotateTime, Keep: o.Keep})
		if err != nil {
			return err
		}
	}
	if len(defs) > 0 {
		err = s.openTables(defs, tableFormat)
	} else if o.Output != "" {
		s.tw, err = openWriter(io, packet.Table, o.Columns, tableFormat, o.Output, sink.Options{})
	}
	if err != nil {
		if s.fw != nil {
			s.fw.Close()
		}
		return err
	}
	return s.run(cmd.Context())
}

// openTables opens the writers of the tables of --tables, one file per table in the directory o.Output, and the
// pass that builds them.
func (s *sniffer) openTables(defs []*tables.Def, format sink.Format) error {
	if err := os.MkdirAll(s.o.Output, 0o777); err != nil {
		return fmt.Errorf("create %q: %w", s.o.Output, err)
	}
	for _, d := range defs {
		// As convert --tables: the packet table in its default selection, every other table whole.
		cols := []string{"all"}
		if d == tables.Packets {
			cols = nil
		}
		path := filepath.Join(s.o.Output, d.Name()+"."+string(format))
		if path == s.o.Write {
			s.abortTables()
			return usagef("-w %q is also the file of table %s", s.o.Write, d.Name())
		}
		w, err := openTableWriter(s.io, d, cols, format, path, sink.Options{})
		if err != nil {
			s.abortTables()
			return err
		}
		s.outs = append(s.outs, tables.Output{Def: d, Writer: w})
	}
	pass, err := tables.NewPass(s.outs, tables.Options{})
	if err != nil {
		s.abortTables()
		return err
	}
	s.pass = pass
	return nil
}

// abortTables removes the tables of --tables.
func (s *sniffer) abortTables() {
	for _, o := range s.outs {
		_ = o.Writer.Abort()
	}
}

// closeTables ends the pass of --tables and publishes its tables, or removes them all when the pass or a writer
// failed (a table that stopped partway would not match the others).
func (s *sniffer) closeTables() error {
	err := s.pass.Close()
	if err != nil {
		s.abortTables()
		return fmt.Errorf("write tables into %q: %w", s.o.Output, err)
	}
	var errs []error
	for _, o := range s.outs {
		if err := o.Writer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("write table %s into %q: %w", o.Def.Name(), s.o.Output, err))
		}
	}
	if line := notesSummary(s.pass.Stats().Notes); line != "" && !s.o.Quiet {
		fmt.Fprintln(s.io.ErrOut, line)
	}
	return errors.Join(errs...)
}

// sniffer runs one capture: a capture goroutine reads the kernel ring into batches, a writer goroutine
// writes them to the capture file, and a table goroutine decodes them into the packet table. Bounded queues
// between them keep a slow writer from stalling the capture: when a queue is full, its batch is dropped and
// counted instead.
type sniffer struct {
	io *IO
	o  *SniffOptions
	h  *live.Handle
	fw *live.Writer
	tw sink.Writer[packet.Packet]

	// with --tables: the pass that builds the tables and their writers (tw is nil)
	pass *tables.Pass
	outs []tables.Output

	captured, bytes        atomic.Int64
	queueDrops, tableDrops atomic.Int64
	errOnce                sync.Once
	err                    error
	cancel                 context.CancelFunc
}

// Queue lengths, in batches (each at most live.BatchBytes of frames).
const (
	writeQueue = 16
	tableQueue = 16
)

// fail records the first error of the run and stops the capture.
func (s *sniffer) fail(err error) {
	s.errOnce.Do(func() { s.err = err })
	s.cancel()
}

func (s *sniffer) run(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	s.cancel = cancel
	defer cancel()
	if s.o.Duration > 0 {
		var stopTimer context.CancelFunc
		ctx, stopTimer = context.WithTimeout(ctx, s.o.Duration)
		defer stopTimer()
	}
	stopInterrupt := context.AfterFunc(ctx, s.h.Interrupt)
	defer stopInterrupt()

	free := make(chan *live.Batch, writeQueue+tableQueue+4)
	recycle := func(b *live.Batch) {
		b.Reset()
		select {
		case free <- b:
		default:
		}
	}
	toWrite := make(chan *live.Batch, writeQueue)
	toTable := make(chan *live.Batch, tableQueue)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.writeLoop(toWrite, toTable, recycle)
	}()
	go func() {
		defer wg.Done()
		s.tableLoop(toTable, recycle)
	}()
	captureDone := make(chan error, 1)
	go func() { captureDone <- s.captureLoop(ctx, toWrite, free) }()

	var stats live.Stats
	var tick <-chan time.Time
	if s.io.ErrIsTerminal && !s.o.Quiet {
		t := time.NewTicker(time.Second)
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
			if st, err := s.h.Stats(); err == nil {
				stats = st
			}
			fmt.Fprintf(s.io.ErrOut, "\r\033[K%s", s.summary(stats))
		}
	}
	wg.Wait()
	if st, err := s.h.Stats(); err == nil {
		stats = st
	}
	if tick != nil {
		fmt.Fprint(s.io.ErrOut, "\r\033[K")
	}
	if capErr != nil {
		s.fail(fmt.Errorf("capture on %q: %w", s.o.Interface, capErr))
	}

	var errs []error
	if s.err != nil {
		errs = append(errs, s.err)
	}
	if s.fw != nil {
		if err := s.fw.Close(); err != nil && !errors.Is(err, s.err) {
			errs = append(errs, err)
		}
	}
	if s.tw != nil {
		// The table is kept whenever its own writer did not fail: what was captured is worth keeping.
		if err := s.tw.Close(); err != nil && !errors.Is(err, sink.ErrClosed) {
			errs = append(errs, fmt.Errorf("write %q: %w", s.o.Output, err))
		}
	}
	if s.pass != nil {
		if err := s.closeTables(); err != nil {
			errs = append(errs, err)
		}
	}
	fmt.Fprintln(s.io.ErrOut, s.summary(stats))
	if s.fw != nil {
		if files := s.fw.Files(); len(files) > 1 {
			fmt.Fprintf(s.io.ErrOut, "capture files: %s\n", Sanitize(strings.Join(files, ", ")))
		}
	}
	return errors.Join(errs...)
}

func (s *sniffer) summary(st live.Stats) string {
	msg := fmt.Sprintf("%d packets captured on %s (%d bytes); dropped: %d by the kernel, %d by pcapframe",
		s.captured.Load(), Sanitize(s.o.Interface), s.bytes.Load(), st.Dropped, s.queueDrops.Load())
	if n := s.tableDrops.Load(); n > 0 {
		msg += fmt.Sprintf(" (%d more left out of the table only)", n)
	}
	return msg
}

// captureLoop reads the ring until the count is reached or ctx ends, and queues batches for writing.
func (s *sniffer) captureLoop(ctx context.Context, toWrite chan<- *live.Batch, free chan *live.Batch) error {
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
		timeout := 250 * time.Millisecond
		if ctx.Err() != nil {
			// Stopping: take what the kernel already holds, without waiting.
			timeout = 0
		}
		n, err := s.h.ReadBatch(b, timeout)
		if errors.Is(err, live.ErrInterrupted) {
			continue // ctx is done: drain once more, then stop
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
		if c := s.o.Count; c > 0 && s.captured.Load()+int64(len(b.Frames)) > c {
			b.Truncate(int(c - s.captured.Load()))
		}
		var bytes int64
		for i := range b.Frames {
			f := &b.Frames[i]
			seq++
			f.Source, f.Number = s.o.Interface, seq
			bytes += int64(len(f.Data))
		}
		s.captured.Add(int64(len(b.Frames)))
		s.bytes.Add(bytes)
		select {
		case toWrite <- b:
			b = get()
		default:
			s.queueDrops.Add(int64(len(b.Frames)))
			b.Reset()
		}
		if c := s.o.Count; c > 0 && s.captured.Load() >= c {
			return nil
		}
		if ctx.Err() != nil && timeout == 0 {
			return nil
		}
	}
}

// writeLoop writes batches to the capture file, then passes them to the table.
func (s *sniffer) writeLoop(in <-chan *live.Batch, toTable chan<- *live.Batch, recycle func(*live.Batch)) {
	defer close(toTable)
	failed := false
	for b := range in {
		if failed {
			recycle(b)
			continue
		}
		if s.fw != nil {
			if err := s.fw.Write(b); err != nil {
				// The file keeps its complete records; this batch's frames are not in it, so they stay out
				// of the table too.
				failed = true
				s.fail(err)
				recycle(b)
				continue
			}
		}
		if s.tw == nil && s.pass == nil {
			recycle(b)
			continue
		}
		select {
		case toTable <- b:
		default:
			if s.fw != nil {
				s.tableDrops.Add(int64(len(b.Frames)))
			} else {
				s.queueDrops.Add(int64(len(b.Frames)))
			}
			recycle(b)
		}
	}
}

// tableLoop decodes batches into packet rows and writes them, or gives them to the pass of --tables.
func (s *sniffer) tableLoop(in <-chan *live.Batch, recycle func(*live.Batch)) {
	dec := packet.NewDecoder()
	rows := make([]packet.Packet, 0, live.BatchFrames)
	lt := int32(s.h.LinkType())
	failed := false
	for b := range in {
		if failed || s.tw == nil && s.pass == nil {
			recycle(b)
			continue
		}
		rows = rows[:0]
		for _, f := range b.Frames {
			rows = append(rows, packet.Packet{})
			dec.Decode(&rows[len(rows)-1], packet.Meta{Source: f.Source, Frame: f.Number, Time: f.Time,
				CapLen: int32(len(f.Data)), WireLen: int32(f.WireLen), LinkType: lt}, f.Data)
		}
		if s.pass != nil {
			// The pass keeps nothing of the batch once Batch returns (package tables): the frames can be recycled.
			if err := s.pass.Batch(&pipeline.Batch{Source: s.o.Interface, Packets: rows}); err != nil {
				failed = true
				s.fail(fmt.Errorf("write tables into %q: %w", s.o.Output, err))
			}
		} else if err := s.tw.Write(rows); err != nil {
			failed = true
			s.tw.Abort()
			s.fail(fmt.Errorf("write %q: %w", s.o.Output, err))
		}
		recycle(b)
	}
}

// listInterfaces prints the interfaces: aligned columns on a terminal, tab-separated values otherwise.
func listInterfaces(io *IO) error {
	ifs, err := live.Interfaces()
	if err != nil {
		return err
	}
	var tw *tabwriter.Writer
	out := io.Out
	if io.OutIsTerminal {
		tw = tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
		out = tw
	}
	fmt.Fprintln(out, "name\tindex\tlink\tstate\tmtu\tmac\taddresses")
	for _, i := range ifs {
		link := "unsupported"
		switch i.LinkType {
		case 1:
			link = "ethernet"
		case 101:
			link = "raw-ip"
		}
		state := "down"
		if i.Up() {
			state = "up"
		}
		fmt.Fprintf(out, "%s\t%d\t%s\t%s\t%d\t%s\t%s\n", Sanitize(i.Name), i.Index, link, state, i.MTU, i.MAC,
			strings.Join(i.Addrs, ","))
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}
