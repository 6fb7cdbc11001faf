package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/live/filter"
	"github.com/pcapframe/pcapframe/tables"
)

// filterCommands are the commands that read captures and take a capture filter (--filter, -f where -f is free:
// sql and hunt keep -f for --format). sniff has its own kernel filter.
var filterCommands = map[string]bool{"info": true, "convert": true, "flows": true, "endpoints": true, "follow": true,
	"stats": true, "report": true, "plot": true, "sql": true, "hunt": true}

// filterHelp is the help of --filter.
const filterHelp = "capture filter in tcpdump syntax (pcap-filter(7)), e.g. \"udp port 53\": only the frames it matches are read, as tcpdump -r FILE EXPR reads them (frames keep their numbers); Ethernet, raw IP, Linux cooked and BSD loopback frames"

// addFilterFlags gives every command that reads captures (filterCommands and the protocol table commands) the
// --filter flag, with the shorthand -f where the command does not use -f already.
func addFilterFlags(root *cobra.Command) {
	for _, c := range root.Commands() {
		if !filterCommands[c.Name()] && tables.Lookup(c.Name()) == nil {
			continue
		}
		short := "f"
		if c.Flags().ShorthandLookup("f") != nil {
			short = ""
		}
		c.Flags().StringP("filter", short, "", filterHelp)
	}
}

// setCaptureFilter compiles the command's --filter into io.filter (nil without one); a mistake in the expression
// is a usage error.
func setCaptureFilter(io *IO, cmd *cobra.Command) error {
	io.filter = nil
	if cmd.Name() == "sniff" {
		return nil
	}
	fl := cmd.Flags().Lookup("filter")
	if fl == nil || fl.Value.String() == "" {
		return nil
	}
	m, err := filter.NewMatcher(fl.Value.String())
	var fe *filter.Error
	if errors.As(err, &fe) {
		return usagef("--filter %q: %v", Sanitize(fl.Value.String()), fe)
	}
	if err != nil {
		return fmt.Errorf("--filter: %w", err)
	}
	io.filter = m
	return nil
}

// recordFilter returns the pipeline's filter function for the command's capture filter, or nil.
func (io *IO) recordFilter() func(*capture.Record) bool {
	m := io.filter
	if m == nil {
		return nil
	}
	return func(rec *capture.Record) bool { return m.Match(rec.LinkType, rec.Data) }
}

// filterKey is the capture filter's expression ("" without one).
func (io *IO) filterKey() string {
	if io.filter == nil {
		return ""
	}
	return io.filter.Expr()
}

// warnFilter says, once a run is over, how many frames the capture filter left out because it cannot run on
// their link type (said even with --quiet: the output lacks them).
func warnFilter(io *IO) {
	if io.filter == nil {
		return
	}
	if msg := io.filter.UnsupportedError(); msg != "" && !io.filterWarned {
		io.filterWarned = true
		fmt.Fprintf(io.ErrOut, "pcapframe: %s\n", msg)
	}
}
