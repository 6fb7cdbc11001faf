package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"
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

// InfoJSON is one file's summary in `info --json`.
type InfoJSON struct {
	File           string          `json:"file"`
	Format         string          `json:"format"`
	Compression    string          `json:"compression,omitempty"`
	FileSize       int64           `json:"file_size"`
	LinkTypes      []LinkTypeJSON  `json:"link_types"`
	Interfaces     []InterfaceJSON `json:"interfaces"`
	Packets        int64           `json:"packets"`
	DataBytes      int64           `json:"captured_bytes"`
	WireBytes      int64           `json:"wire_bytes"`
	FirstTime      *string         `json:"first_time"`
	LastTime       *string         `json:"last_time"`
	DurationSecs   float64         `json:"duration_seconds"`
	DataByteRate   *float64        `json:"data_byte_rate"`
	DataBitRate    *float64        `json:"data_bit_rate"`
	PacketRate     *float64        `json:"packet_rate"`
	AvgPacketBytes *float64        `json:"average_packet_size"`
	// TimeOutOfRange counts the packets whose timestamp is outside 1970-01-01..2116-02-20 (capture.MinTime,
	// capture.MaxTime); they have no time, and first/last time and the rates leave them out.
	TimeOutOfRange int64  `json:"time_out_of_range,omitempty"`
	Error          string `json:"error,omitempty"`
}

// LinkTypeJSON names a link type.
type LinkTypeJSON struct {
	Number uint32 `json:"number"`
	Name   string `json:"name"`
}

// InterfaceJSON is one capture interface.
type InterfaceJSON struct {
	Section      int    `json:"section"`
	Index        int    `json:"index"`
	LinkType     uint32 `json:"link_type"`
	Name         string `json:"name,omitempty"`
	Description  string `json:"description,omitempty"`
	SnapLen      uint32 `json:"snaplen"`
	TSResolution string `json:"ts_resolution"`
	TSOffset     int64  `json:"ts_offset,omitempty"` // if_tsoffset, seconds
}

func infoOf(s *capture.Summary) InfoJSON {
	j := InfoJSON{File: s.Source, Format: string(s.Format), Compression: string(s.Compression), FileSize: s.FileSize,
		Packets: s.Packets, DataBytes: s.DataBytes, WireBytes: s.WireBytes,
		LinkTypes: []LinkTypeJSON{}, Interfaces: []InterfaceJSON{}}
	for _, lt := range s.LinkTypes {
		j.LinkTypes = append(j.LinkTypes, LinkTypeJSON{lt, linkTypeName(lt)})
	}
	for _, i := range s.Interfaces {
		j.Interfaces = append(j.Interfaces, InterfaceJSON{i.Section, i.Index, i.LinkType, i.Name, i.Description, i.SnapLen, i.TSResolution, i.TSOffset})
	}
	j.TimeOutOfRange = s.TimeOutOfRange
	if s.Packets > 0 {
		// As capinfos, sizes and rates count the frames' lengths on the wire.
		avg := float64(s.WireBytes) / float64(s.Packets)
		j.AvgPacketBytes = &avg
	}
	if s.Timed > 0 { // packets without a time (simple packet blocks, times out of range) give none
		f, l := fmtTime(s.First), fmtTime(s.Last)
		j.FirstTime, j.LastTime = &f, &l
		j.DurationSecs = float64(s.Last-s.First) / 1e9
		if s.Last > s.First {
			secs := j.DurationSecs
			br, bits, pr := float64(s.WireBytes)/secs, 8*float64(s.WireBytes)/secs, float64(s.Packets)/secs
			j.DataByteRate, j.DataBitRate, j.PacketRate = &br, &bits, &pr
		}
	}
	if s.Err != nil {
		j.Error = s.Err.Error()
	}
	return j
}

func fmtTime(ns int64) string { return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z") }

func linkTypeName(lt uint32) string {
	name := layers.LinkType(lt).String()
	if strings.HasPrefix(name, "LinkType(") || strings.HasPrefix(name, "Unknown") {
		return fmt.Sprintf("LINKTYPE_%d", lt)
	}
	return name
}

func runInfo(io *IO, args []string, asJSON bool) error {
	paths, err := expandInputs(io, args, "")
	if err != nil {
		return err
	}
	var out []InfoJSON
	var errs []error
	for i, p := range paths {
		s, err := capture.Summarize(p)
		if s == nil {
			errs = append(errs, err)
			continue
		}
		if s.Err != nil {
			errs = append(errs, s.Err)
		}
		j := infoOf(s)
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
			out = []InfoJSON{}
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
	if len(errs) > 0 {
		err := errors.Join(errs...)
		if isFatalInput(err) {
			return err
		}
		return &DamagedError{err}
	}
	return nil
}

func writeInfoText(io *IO, j *InfoJSON) {
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
