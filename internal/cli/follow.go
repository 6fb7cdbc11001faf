package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/stream"
)

// FollowOptions are the flags of follow.
type FollowOptions struct {
	Stream    int64
	Flow      string
	Proto     string
	Format    string
	Side      string
	Output    string
	All       bool
	MaxBuffer int
	MaxFiles  int
	Quiet     bool
	FlowOpts  flow.Options
}

// NewCmdFollow builds `pcapframe follow`.
func NewCmdFollow(io *IO) *cobra.Command {
	o := &FollowOptions{}
	cmd := &cobra.Command{
		Use:   "follow INPUT (--stream N | --flow A:P-B:Q) [--proto tcp|udp] [--format ascii|hex|raw|json] [--side both|client|server] [-o FILE]\n  pcapframe follow INPUT --all -o DIR",
		Short: "Print the payload of one conversation in order, as Wireshark's Follow Stream; or extract every stream",
		Long: `Print the payload of one TCP or UDP conversation in order, as Wireshark's Follow TCP/UDP Stream shows it.
Choose it by Wireshark's stream index (--stream N, the stream column of 'pcapframe flows', tcp.stream in
Wireshark) or by its endpoints (--flow 10.0.0.1:51000-10.0.0.2:80, IPv6 as [::1]:51000-[::2]:80; the first
conversation on those endpoints, TCP unless --proto udp).

TCP is reassembled: retransmitted and overlapping bytes appear once (the first copy wins, as in Wireshark, and
differing copies are counted), out-of-order segments are placed by sequence number, and bytes missing from the
capture are a gap, shown as "[N bytes missing in capture file]" and counted. UDP is followed datagram by datagram.

Formats: ascii (default) and hex print what 'tshark -q -z follow,tcp,ascii|hex,N' prints: both sides
interleaved in packet order, Node 1's chunks indented by a tab, non-printable bytes as '.'; raw writes the bytes
of one side (--side client or server) unchanged, to a file or a pipe; json writes the conversation and each chunk
(frame, time, base64 data). The client is the side that opened the connection.

--all -o DIR extracts every TCP and UDP stream into DIR, one file per side named after the stream and its
endpoints (PROTO-STREAM_CLIENT-PORT_SERVER-PORT.client / .server), and writes DIR/index.csv: one row per
conversation with its files, byte counts, gaps and conflicts. At most --max-files files are created (10,000 by
default; 0: no limit): the sides left out are named in index.csv (left_out) and counted on standard error. If
the extraction fails (a write error, a full disk), the files it created are removed and no index.csv is left.
If it is interrupted (Ctrl-C), index.csv lists the conversations completed until then, whose files are
complete, and the files of the conversations still open are removed.`,
		Example: `  pcapframe flows capture.pcap                      # find the stream
  pcapframe follow capture.pcap --stream 1            # read the chat
  pcapframe follow capture.pcap --stream 5 --format raw --side client -o image.bin
  pcapframe follow capture.pcap --flow 192.168.1.6:65253-192.168.1.100:7070 --format hex
  pcapframe follow capture.pcap --all -o streams/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFollow(cmd, io, o, args[0])
		},
	}
	f := cmd.Flags()
	f.Int64Var(&o.Stream, "stream", -1, "Wireshark stream index (tcp.stream / udp.stream) of the conversation")
	f.StringVar(&o.Flow, "flow", "", "the conversation's endpoints, A:P-B:Q (either order)")
	f.StringVar(&o.Proto, "proto", "", "tcp or udp (default tcp; with --flow, whichever comes first)")
	f.StringVar(&o.Format, "format", "ascii", "ascii, hex, raw or json")
	f.StringVar(&o.Side, "side", "both", "both, client or server")
	f.StringVarP(&o.Output, "output", "o", "", "output file (written atomically), or with --all the output directory")
	f.BoolVar(&o.All, "all", false, "extract every TCP and UDP stream into the directory given by -o")
	f.IntVar(&o.MaxBuffer, "max-buffer", stream.DefaultMaxBuffer, "out-of-order bytes held per direction before the missing bytes are given up as a gap")
	f.IntVar(&o.MaxFiles, "max-files", DefaultMaxFiles, "with --all, the most files to create (0: no limit); the sides left out are listed in index.csv")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress or notes on standard error")
	addFlowFlags(f, &o.FlowOpts)
	return cmd
}

func runFollow(cmd *cobra.Command, io *IO, o *FollowOptions, input string) error {
	switch o.Proto {
	case "", "tcp", "udp":
	default:
		return usagef("unknown --proto %q (tcp or udp)", o.Proto)
	}
	if o.All {
		if o.Output == "" || o.Output == "-" {
			return usagef("--all needs an output directory: -o DIR")
		}
		if o.Stream >= 0 || o.Flow != "" {
			return usagef("--all extracts every stream: drop --stream and --flow")
		}
		return followAll(cmd.Context(), io, o, input)
	}
	format, err := stream.ParseFormat(o.Format)
	if err != nil {
		return &UsageError{err}
	}
	var sides [2]bool
	switch o.Side {
	case "both":
		sides = [2]bool{true, true}
	case "client":
		sides[stream.Client] = true
	case "server":
		sides[stream.Server] = true
	default:
		return usagef("unknown --side %q (both, client or server)", o.Side)
	}
	if format == stream.Raw && sides[0] && sides[1] {
		return usagef("--format raw writes the bytes of one side: add --side client or --side server (or extract both sides of every stream with --all -o DIR)")
	}
	toStdout := o.Output == "" || o.Output == "-"
	if format == stream.Raw && toStdout && io.OutIsTerminal {
		return usagef("--format raw would print raw capture bytes on the terminal: redirect the output or use -o FILE")
	}
	m := stream.Match{Proto: o.Proto, Stream: o.Stream}
	switch {
	case o.Flow != "" && o.Stream >= 0:
		return usagef("--stream and --flow both choose the conversation: give one")
	case o.Flow != "":
		a, b, err := parseFlowArg(o.Flow)
		if err != nil {
			return err
		}
		m.A, m.B = a, b
	case o.Stream < 0:
		return usagef("choose the conversation with --stream N or --flow A:P-B:Q (list them with 'pcapframe flows %s'), or extract all with --all -o DIR", input)
	}
	inputs, err := expandInputs(io, []string{input}, o.Output)
	if err != nil {
		return err
	}
	if len(inputs) != 1 {
		return usagef("follow reads one capture; %s holds %d", input, len(inputs))
	}

	var out interface{ Write([]byte) (int, error) } = io.Out
	var af *atomicFile
	if !toStdout {
		if af, err = createAtomic(o.Output); err != nil {
			return err
		}
		defer af.abort()
		out = af
	}
	var pr *stream.Printer
	var header stream.Header
	fo := stream.NewFollower(m, stream.Options{MaxBuffer: o.MaxBuffer}, func(h stream.Header) (func(*stream.Chunk) error, error) {
		header = h
		var err error
		pr, err = stream.NewPrinter(out, format, h, sides)
		return pr.Chunk, err
	})
	runErr := runPackets(cmd.Context(), io, inputs, 0, o.Quiet, fo.Add)
	if runErr != nil && (errors.Is(runErr, errStopped) || errors.Is(runErr, context.Canceled) || isFatalInput(runErr)) {
		return runErr
	}
	found, st, err := fo.Close()
	if err != nil {
		return err
	}
	if !found {
		if runErr != nil {
			return &DamagedError{runErr}
		}
		return notFound(input, m, fo.Streams)
	}
	if err := pr.Close(st); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if af != nil {
		if err := af.commit(); err != nil {
			return err
		}
	}
	if !o.Quiet {
		followNotes(io, header, st)
	}
	if runErr != nil {
		return &DamagedError{runErr}
	}
	return nil
}

// followNotes reports gaps and conflicting retransmissions on standard error.
func followNotes(io *IO, h stream.Header, st stream.Stats) {
	for s := range 2 {
		if st.Gaps[s] == 0 && st.Conflicts[s] == 0 {
			continue
		}
		fmt.Fprintf(io.ErrOut, "pcapframe: %s stream %d, %s side: %d bytes, %d gaps (%d bytes missing from the capture), %d retransmitted bytes differing from the first copy\n",
			h.Proto, h.Stream, stream.Side(s), st.Bytes[s], st.Gaps[s], st.GapBytes[s], st.Conflicts[s])
	}
}

// notFound explains that the conversation asked for is not in the capture, and how to find the right one.
func notFound(input string, m stream.Match, streams [2]int64) error {
	have := func(proto string, n int64) string {
		if n == 0 {
			return "no " + proto + " streams"
		}
		return fmt.Sprintf("%s streams 0 to %d", proto, n-1)
	}
	what := ""
	if m.A.IsValid() {
		what = "no conversation between " + m.A.String() + " and " + m.B.String()
		if m.Proto != "" {
			what = "no " + m.Proto + " conversation between " + m.A.String() + " and " + m.B.String()
		}
	} else {
		proto := m.Proto
		if proto == "" {
			proto = "tcp"
		}
		what = fmt.Sprintf("no %s stream %d", proto, m.Stream)
	}
	return fmt.Errorf("%s in %s (it has %s and %s); list the conversations with their stream index: pcapframe flows %s",
		what, input, have("tcp", streams[0]), have("udp", streams[1]), input)
}

// parseFlowArg parses A:P-B:Q.
func parseFlowArg(s string) (a, b netip.AddrPort, err error) {
	i := strings.LastIndex(s, "-")
	if i < 0 {
		return a, b, usagef("--flow %q: want A:PORT-B:PORT, e.g. 10.0.0.1:51000-10.0.0.2:80 or [::1]:51000-[::2]:80", s)
	}
	// IPv4 and IPv6 addresses contain no '-': the separator is the only one.
	if strings.Count(s, "-") != 1 {
		return a, b, usagef("--flow %q: want A:PORT-B:PORT with a single '-'", s)
	}
	a, err = netip.ParseAddrPort(s[:i])
	if err == nil {
		b, err = netip.ParseAddrPort(s[i+1:])
	}
	if err != nil {
		return a, b, usagef("--flow %q: %v (want A:PORT-B:PORT, IPv6 in brackets)", s, err)
	}
	return a, b, nil
}

// DefaultMaxFiles is the default of follow --all's --max-files: a capture of many short conversations would
// otherwise make a file per side of each (150,001 files from a 21 MB capture).
const DefaultMaxFiles = 10000

// followAll extracts every stream of input into the directory o.Output. If the extraction fails, the files it
// created are removed and index.csv is not written.
func followAll(ctx context.Context, io *IO, o *FollowOptions, input string) error {
	if o.MaxFiles < 0 {
		return usagef("--max-files must be 0 (no limit) or more")
	}
	inputs, err := expandInputs(io, []string{input}, "")
	if err != nil {
		return err
	}
	if len(inputs) != 1 {
		return usagef("follow reads one capture; %s holds %d", input, len(inputs))
	}
	dir := o.Output
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("create %q: %w", dir, err)
	}
	w, err := sink.Create(stream.IndexTable, sink.CSV, filepath.Join(dir, "index.csv"), sink.Options{})
	if err != nil {
		return err
	}
	var rows []stream.IndexRow
	var n int64
	d := stream.NewDir(dir, o.FlowOpts, stream.Options{MaxBuffer: o.MaxBuffer}, func(r *stream.IndexRow) error {
		n++
		rows = append(rows[:0], *r)
		return w.Write(rows)
	})
	d.SetMaxFiles(o.MaxFiles)
	runErr := runPackets(ctx, io, inputs, 0, o.Quiet, d.Add)
	if errors.Is(runErr, context.Canceled) && !errors.Is(runErr, errStopped) {
		return followInterrupted(w, d, dir, n)
	}
	if runErr == nil || !errors.Is(runErr, errStopped) {
		if err := d.Close(); err != nil {
			runErr = errors.Join(runErr, stop(err))
		}
	}
	var damaged *DamagedError
	if err := finishOutput(w, runErr); err != nil && !errors.As(err, &damaged) {
		// The run failed: index.csv was not written, and the files are removed, partial ones included.
		if rerr := d.Remove(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	}
	if !o.Quiet {
		fmt.Fprintf(io.ErrOut, "pcapframe: %d conversations extracted to %s (see %s)\n", n, Sanitize(dir), Sanitize(filepath.Join(dir, "index.csv")))
	}
	if lo := d.LeftOut(); lo.Files > 0 {
		// Said even with --quiet: the extraction is incomplete.
		fmt.Fprintf(io.ErrOut, "pcapframe: --max-files %d reached: %d more files (%d bytes of %d conversations) were not written; index.csv names them in left_out\n",
			o.MaxFiles, lo.Files, lo.Bytes, lo.Conversations)
	}
	if damaged != nil {
		return damaged
	}
	return nil
}

// followInterrupted ends an extraction that was interrupted: the files of the conversations still open are
// removed, and index.csv lists the n conversations completed before, whose files are complete.
func followInterrupted(w sink.Writer[stream.IndexRow], d *stream.Dir, dir string, n int64) error {
	removed, err := d.Abandon()
	if cerr := w.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("write index: %w", cerr))
	}
	if err != nil {
		_ = d.Remove()
		return errors.Join(context.Canceled, err)
	}
	return &InterruptedError{Kept: fmt.Sprintf("%s lists the %d conversations completed before it, and their files are complete; the %d files of conversations still open were removed",
		Sanitize(filepath.Join(dir, "index.csv")), n, removed)}
}

// atomicFile is an output file published by rename when complete.
type atomicFile struct {
	*os.File
	path string
	done bool
}

func createAtomic(path string) (*atomicFile, error) {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %q: %w", path, err)
	}
	return &atomicFile{File: f, path: path}, nil
}

func (a *atomicFile) commit() error {
	a.done = true
	err := a.File.Close()
	if err == nil {
		err = os.Rename(a.File.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.File.Name())
		return fmt.Errorf("write %q: %w", a.path, err)
	}
	return nil
}

func (a *atomicFile) abort() {
	if !a.done {
		a.done = true
		a.File.Close()
		os.Remove(a.File.Name())
	}
}
