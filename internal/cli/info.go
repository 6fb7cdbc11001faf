package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/internal/textsafe"
)

// NewCmdInfo builds `pcapframe info`.
func NewCmdInfo(io *IO) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info INPUT... [--json]",
		Short: "Summarise captures: format, link types, interfaces, packets, bytes, times and rates (like capinfos)",
		Example: `  pcapframe info capture.pcapng
  pcapframe info captures/ --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInfo(io, args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array, one object per file")
	return cmd
}

// summarize is capture.Summarize, counting only the records keep accepts (all if keep is nil).
func summarize(path string, keep func(*capture.Record) bool) (*capture.Summary, error) {
	if keep == nil {
		return capture.Summarize(path)
	}
	r, err := capture.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	z := capture.NewSummarizer(r)
	for {
		rec, err := r.Next()
		if err != nil {
			return z.Finish(err), nil
		}
		if keep(rec) {
			z.Add(rec)
		}
	}
}

func runInfo(io *IO, args []string, asJSON bool) error {
	paths, err := expandInputs(io, args, "")
	if err != nil {
		return err
	}
	var out []capture.Info
	var errs []error
	for i, p := range paths {
		s, err := summarize(p, io.recordFilter())
		if s == nil {
			errs = append(errs, err)
			continue
		}
		if s.Err != nil {
			errs = append(errs, s.Err)
		}
		j := s.Info()
		if asJSON {
			out = append(out, j)
			continue
		}
		if i > 0 {
			fmt.Fprintln(io.Out)
		}
		writeInfoText(io, &j)
	}
	if asJSON {
		if out == nil {
			out = []capture.Info{}
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		// Names and comments come from the capture: no control, bidi or other invisible character is left raw.
		if _, err := io.Out.Write(append(textsafe.JSON(b), '\n')); err != nil {
			return err
		}
	}
	warnFilter(io)
	if len(errs) > 0 {
		err := errors.Join(errs...)
		if isFatalInput(err) {
			return err
		}
		return &DamagedError{err}
	}
	return nil
}

func writeInfoText(io *IO, j *capture.Info) {
	line := func(k string, v any) { fmt.Fprintf(io.Out, "%-24s %s\n", k+":", Sanitize(fmt.Sprint(v))) }
	line("File name", j.File)
	ft := j.Format
	if j.Compression != "" {
		ft += " (" + j.Compression + " compressed)"
	}
	line("File type", ft)
	line("File size", fmt.Sprintf("%d bytes", j.FileSize))
	var lts []string
	for _, l := range j.LinkTypes {
		lts = append(lts, fmt.Sprintf("%s (%d)", l.Name, l.Number))
	}
	line("Link types", strings.Join(lts, ", "))
	line("Number of interfaces", len(j.Interfaces))
	for _, i := range j.Interfaces {
		desc := fmt.Sprintf("section %d, interface %d: link type %d, snaplen %d, ts resolution %s", i.Section, i.Index, i.LinkType, i.SnapLen, i.TSResolution)
		if i.TSOffset != 0 {
			desc += fmt.Sprintf(", ts offset %d s", i.TSOffset)
		}
		if i.Name != "" {
			desc += ", name " + i.Name
		}
		line("  Interface", desc)
	}
	line("Number of packets", j.Packets)
	line("Data size", fmt.Sprintf("%d bytes on the wire, %d bytes captured", j.WireBytes, j.DataBytes))
	if j.FirstTime != nil {
		line("First packet time", *j.FirstTime)
		line("Last packet time", *j.LastTime)
	} else {
		line("First packet time", "n/a")
		line("Last packet time", "n/a")
	}
	if j.TimeOutOfRange > 0 {
		line("Times out of range", fmt.Sprintf("%d packets (outside 1970-01-01..2116-02-20: no time, left out of the times and rates)", j.TimeOutOfRange))
	}
	line("Capture duration", fmt.Sprintf("%.6f seconds", j.DurationSecs))
	rate := func(k string, v *float64, unit string) {
		if v == nil {
			line(k, "n/a")
			return
		}
		line(k, fmt.Sprintf("%.2f %s", *v, unit))
	}
	rate("Data byte rate", j.DataByteRate, "bytes/s")
	rate("Data bit rate", j.DataBitRate, "bits/s")
	rate("Average packet size", j.AvgPacketBytes, "bytes")
	rate("Average packet rate", j.PacketRate, "packets/s")
	if j.Error != "" {
		line("Error", j.Error)
	}
}
