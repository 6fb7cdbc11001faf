// Package cli is pcapframe's command line: one file per command, each a NewCmdX constructor that root.go lists
// explicitly, with typed errors mapped to documented exit statuses.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/internal/textsafe"
	"github.com/pcapframe/pcapframe/live/filter"
)

// Exit statuses, documented in the README and in `pcapframe --help`.
const (
	ExitOK      = 0 // success
	ExitError   = 1 // the run could not be done: missing or unreadable input, not a capture, bad output path, ...
	ExitUsage   = 2 // wrong flags or arguments
	ExitDamaged = 3 // an input is damaged (truncated or corrupt): the rows before the damage were written
	ExitCancel  = 130
)

// UsageError is a mistake on the command line: the message is followed by a hint to run --help.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// DamagedError wraps errors from damaged inputs whose earlier rows were still written.
type DamagedError struct{ Err error }

func (e *DamagedError) Error() string { return e.Err.Error() }
func (e *DamagedError) Unwrap() error { return e.Err }

// IO holds the streams a command uses, so tests can replace them.
type IO struct {
	In          io.Reader
	Out, ErrOut io.Writer
	// ErrIsTerminal says whether ErrOut is a terminal (progress is shown only then).
	ErrIsTerminal bool
	// OutIsTerminal says whether Out is a terminal.
	OutIsTerminal bool

	filter       *filter.Matcher // the running command's capture filter (--filter), nil without one
	filterWarned bool            // warnFilter has spoken
}

// StdIO returns the process's streams.
func StdIO() *IO {
	return &IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		ErrIsTerminal: isTerminal(os.Stderr), OutIsTerminal: isTerminal(os.Stdout)}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// commandList returns the subcommands, listed here explicitly (as cli/cli's root lists its commands) rather
// than registered by init functions. The protocol tables of the list (package tables: dns, tls, ...) get their
// commands from tableCommands, one each.
func commandList(io *IO) []*cobra.Command {
	cmds := []*cobra.Command{
		NewCmdConvert(io),
		NewCmdDecode(io),
		NewCmdEndpoints(io),
		NewCmdExtract(io),
		NewCmdFlows(io),
		NewCmdFollow(io),
		NewCmdHunt(io),
		NewCmdInfo(io),
		NewCmdPlot(io),
		NewCmdReport(io),
		NewCmdSchema(io),
		NewCmdShow(io),
		NewCmdSniff(io),
		NewCmdSQL(io),
		NewCmdStats(io),
	}
	return append(cmds, tableCommands(io)...)
}

// NewRoot builds the command tree.
func NewRoot(io *IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "pcapframe",
		Short: "Packet captures as data-science tables: decode, convert, query, chart",
		Long: `pcapframe turns packet captures (pcap, pcapng, gzip or zstd compressed) into typed tables -- one row per
frame -- and writes them as Parquet, CSV or JSON Lines.

Exit status: 0 success; 1 the run could not be done; 2 usage error; 3 an input is damaged (the rows read before
the damage were written and the message says how many); 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &UsageError{err} })
	var cpuProfile string
	var profFile *os.File
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for development)")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if err := setCaptureFilter(io, cmd); err != nil {
			return err
		}
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		profFile = f
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRun = func(cmd *cobra.Command, args []string) {
		if profFile != nil {
			pprof.StopCPUProfile()
			profFile.Close()
		}
	}
	root.AddCommand(commandList(io)...)
	addFilterFlags(root)
	setVersion(root)
	classifyUsage(root)
	return root
}

// classifyUsage makes every mistake cobra finds on a command line a *UsageError, by type rather than by the text
// of cobra's messages: flag parsing errors through the flag error function (set on the root, inherited), the
// positional argument checks of every command wrapped, a root that names an unknown command, and the required
// flags and flag groups checked before cobra checks them itself.
func classifyUsage(root *cobra.Command) {
	// cobra adds these commands when it runs; added now, their arguments are classified too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	// With Args set cobra leaves a word that names no command to it (and not to its untyped legacy check); the
	// root runs only to say so or to print its help.
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
		}
		return &UsageError{errors.New(msg)}
	}
	if root.Run == nil && root.RunE == nil {
		root.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Args != nil {
			c.Args = usageArgs(c.Args)
		}
		if c.Runnable() {
			c.PreRunE = checkFlags(c.PreRunE, c.PreRun)
			c.PreRun = nil
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// usageArgs wraps a positional argument check so that its errors are usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			var ue *UsageError
			if errors.As(err, &ue) {
				return err
			}
			return &UsageError{err}
		}
		return nil
	}
}

// checkFlags runs cobra's required-flag and flag-group checks, as usage errors, before the command's own
// pre-run hook (cobra runs the same checks after the hook and then finds nothing).
func checkFlags(preE func(*cobra.Command, []string) error, pre func(*cobra.Command, []string)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := cmd.ValidateRequiredFlags(); err != nil {
			return &UsageError{err}
		}
		if err := cmd.ValidateFlagGroups(); err != nil {
			return &UsageError{err}
		}
		if preE != nil {
			return preE(cmd, args)
		}
		if pre != nil {
			pre(cmd, args)
		}
		return nil
	}
}

// Main runs the command line and returns the exit status.
func Main(args []string) int {
	crashBySignal()
	io := StdIO()
	out := &countingWriter{w: io.Out}
	io.Out = out
	root := NewRoot(io)
	root.SetArgs(args)
	force := forceExitAfter
	if c, _, err := root.Find(args); err == nil && finishOnInterrupt[c.Name()] {
		force = 0
	}
	ctx, stop := notifyContext(io.ErrOut, force)
	defer stop()
	err := execute(ctx, root)
	var ie *InterruptedError
	if errors.Is(err, context.Canceled) && !errors.As(err, &ie) && out.n > 0 {
		// The rows printed before the interrupt are out; say that they are not all of them.
		err = &InterruptedError{Kept: fmt.Sprintf("standard output is incomplete (%d bytes were written before the interrupt); no file was written (files are kept only when complete)", out.n)}
	}
	return report(io.ErrOut, err)
}

// countingWriter counts the bytes written through it, so that an interrupted run can say whether what it printed
// is a part of its output.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// report prints err as one line and returns its exit status.
func report(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	var ie *InterruptedError
	switch {
	case errors.As(err, &ie):
		msg = ie.Error()
	case errors.Is(err, context.Canceled):
		// Not Go's "context canceled": outputs are published only when complete, so an interrupted run leaves
		// none (sniff, which finishes its files on Ctrl-C, does not end here).
		msg = "interrupted: no output was written (files are kept only when complete)"
	}
	fmt.Fprintf(w, "pcapframe: %s\n", Sanitize(msg))
	var ue *UsageError
	var de *DamagedError
	var ec interface{ ExitCode() int } // an outcome with a status of its own (hunt's ExitFound)
	switch {
	case errors.As(err, &ec):
		return ec.ExitCode()
	case errors.As(err, &ue):
		fmt.Fprintln(w, "Run 'pcapframe --help' for usage.")
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitCancel
	case errors.As(err, &de):
		return ExitDamaged
	}
	return ExitError
}

// InterruptedError is an interrupted run (Ctrl-C, SIGTERM) that kept some of its output: Kept says what. It is
// context.Canceled to errors.Is, and exits with ExitCancel.
type InterruptedError struct {
	Kept string
}

func (e *InterruptedError) Error() string { return "interrupted: " + e.Kept }

// Unwrap returns context.Canceled.
func (e *InterruptedError) Unwrap() error { return context.Canceled }

// Sanitize makes text from a capture or a file name safe to print on a terminal: control characters (C0 and C1),
// bidirectional and other invisible format characters, and invalid UTF-8 become \xHH escapes (textsafe.Escape).
func Sanitize(s string) string { return textsafe.Escape(s) }
