package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/live"
	"github.com/pcapframe/pcapframe/live/filter"
	"github.com/pcapframe/pcapframe/live/sniff"
	"github.com/pcapframe/pcapframe/packet"
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
	if len(o.Tables) > 0 {
		// (-w cannot name a table's file: it ends in .pcap or .pcapng, the tables in their format's extension.)
		if _, err := tables.Select(o.Tables); err != nil {
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
		if _, err := packet.Table.Select(o.Columns); err != nil {
			return &UsageError{err}
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

	// The tables: with --tables one file per table in the directory -o (as convert --tables: the packet table in
	// its default selection, every other table whole), else the packet table alone with --columns.
	var outs []tables.Output
	if len(o.Tables) > 0 {
		if outs, err = sniff.CreateTables(o.Output, o.Tables, tableFormat); err != nil {
			return err
		}
	} else if o.Output != "" {
		w, err := openTableWriter(io, tables.Packets, o.Columns, tableFormat, o.Output, sink.Options{})
		if err != nil {
			return err
		}
		outs = []tables.Output{{Def: tables.Packets, Writer: w}}
	}
	opts := sniff.Options{Count: o.Count, Duration: o.Duration, File: o.Write, Tables: outs,
		FileOptions: live.WriterOptions{Interface: ifc.Name, Filter: expr, RotateSize: rotateSize,
			RotateTime: o.RotateTime, Keep: o.Keep}}
	showProgress := io.ErrIsTerminal && !o.Quiet
	if showProgress {
		opts.Progress = func(st sniff.Stats) { fmt.Fprintf(io.ErrOut, "\r\033[K%s", sniffSummary(o.Interface, st)) }
	}
	st, err := sniff.Run(cmd.Context(), h, opts)
	if showProgress {
		fmt.Fprint(io.ErrOut, "\r\033[K")
	}
	if len(o.Tables) > 0 && !o.Quiet {
		if line := notesSummary(st.Tables.Notes); line != "" {
			fmt.Fprintln(io.ErrOut, line)
		}
	}
	fmt.Fprintln(io.ErrOut, sniffSummary(o.Interface, st))
	if len(st.Files) > 1 {
		fmt.Fprintf(io.ErrOut, "capture files: %s\n", Sanitize(strings.Join(st.Files, ", ")))
	}
	return err
}

// sniffSummary is the line of counts shown while capturing and at the end. "Dropped by pcapframe" are the
// frames in no output because a writer fell behind; the capture file is written first, so the table drops
// first, and those frames are told apart.
func sniffSummary(ifc string, st sniff.Stats) string {
	msg := fmt.Sprintf("%d packets captured on %s (%d bytes); dropped: %d by the kernel, %d by pcapframe",
		st.Captured, Sanitize(ifc), st.Bytes, st.Source.Dropped, st.QueueDrops)
	if st.TableDrops > 0 {
		msg += fmt.Sprintf(" (%d more left out of the table only)", st.TableDrops)
	}
	return msg
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
