package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/internal/zeeklog"
	"github.com/pcapframe/pcapframe/tables"
)

// isZeekFormat reports whether --format names one of the Zeek log formats.
func isZeekFormat(format string) bool {
	_, err := zeeklog.ParseFormat(format)
	return format != "" && err == nil
}

// convertZeek writes Zeek logs (conn.log, dns.log, ssl.log, ...) into the directory o.Output from one read of
// the inputs (convert --format zeek|zeek-json -o DIR); see package zeeklog and docs/ZEEK.md.
func convertZeek(cmd *cobra.Command, io *IO, o *ConvertOptions, args []string) error {
	format, err := zeeklog.ParseFormat(o.Format)
	if err != nil {
		return &UsageError{err}
	}
	if cmd.Flags().Changed("table") || len(o.Tables) > 0 || len(o.Columns) > 0 {
		return usagef("--format %s writes every Zeek log into -o DIR: --table, --tables and --columns do not apply", o.Format)
	}
	if o.Output == "-" {
		return usagef("--format %s writes files into a directory: -o DIR", o.Format)
	}
	if fi, err := os.Stat(o.Output); err == nil && !fi.IsDir() {
		return usagef("-o %q is not a directory (--format %s writes one file per log into -o DIR)", o.Output, o.Format)
	}
	inputs, err := expandInputs(io, args, "")
	if err != nil {
		return err
	}
	for _, l := range zeeklog.Logs() {
		if _, err := expandInputs(io, inputs, filepath.Join(o.Output, l.Name()+".log")); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.Output, 0o777); err != nil {
		return fmt.Errorf("create %q: %w", o.Output, err)
	}
	outs, err := zeeklog.Open(o.Output, format)
	if err != nil {
		return err
	}
	for i := range outs {
		outs[i].Writer = stopWriter{outs[i].Writer}
	}
	runErr := runTables(cmd.Context(), io, inputs, outs, o.Workers, o.Quiet, tables.Options{})
	var first error
	for _, out := range outs {
		if err := finishOutput(out.Writer, runErr); err != nil && first == nil {
			first = err
		}
	}
	return first
}
