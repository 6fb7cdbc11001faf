package capture

import (
	"fmt"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Info is a capture's summary as `pcapframe info --json` writes it and the report embeds it: a Summary with
// named link types, times as text and capinfos' rates.
type Info struct {
	File           string          `json:"file"`
	Format         string          `json:"format"`
	Compression    string          `json:"compression,omitempty"`
	FileSize       int64           `json:"file_size"`
	LinkTypes      []LinkTypeInfo  `json:"link_types"`
	Interfaces     []InterfaceInfo `json:"interfaces"`
	Packets        int64           `json:"packets"`
	DataBytes      int64           `json:"captured_bytes"`
	WireBytes      int64           `json:"wire_bytes"`
	FirstTime      *string         `json:"first_time"` // nil when no packet has a time
	LastTime       *string         `json:"last_time"`
	DurationSecs   float64         `json:"duration_seconds"`
	DataByteRate   *float64        `json:"data_byte_rate"` // nil when the capture lasts no time
	DataBitRate    *float64        `json:"data_bit_rate"`
	PacketRate     *float64        `json:"packet_rate"`
	AvgPacketBytes *float64        `json:"average_packet_size"` // nil when there are no packets
	// TimeOutOfRange counts the packets whose timestamp is outside 1970-01-01..2116-02-20 (MinTime, MaxTime);
	// they have no time, and first/last time and the rates leave them out.
	TimeOutOfRange int64  `json:"time_out_of_range,omitempty"`
	Error          string `json:"error,omitempty"` // why reading stopped early; the counts cover what came before
}

// LinkTypeInfo names a link type.
type LinkTypeInfo struct {
	Number uint32 `json:"number"`
	Name   string `json:"name"`
}

// InterfaceInfo is one capture interface.
type InterfaceInfo struct {
	Section      int    `json:"section"`
	Index        int    `json:"index"`
	LinkType     uint32 `json:"link_type"`
	Name         string `json:"name,omitempty"`
	Description  string `json:"description,omitempty"`
	SnapLen      uint32 `json:"snaplen"`
	TSResolution string `json:"ts_resolution"`
	TSOffset     int64  `json:"ts_offset,omitempty"` // if_tsoffset, seconds
}

// Info returns the summary as `pcapframe info --json` writes it. As capinfos does, sizes and rates count the
// frames' lengths on the wire, and the rates divide them by the time from the first to the last timed packet.
func (s *Summary) Info() Info {
	j := Info{File: s.Source, Format: string(s.Format), Compression: string(s.Compression), FileSize: s.FileSize,
		Packets: s.Packets, DataBytes: s.DataBytes, WireBytes: s.WireBytes,
		LinkTypes: []LinkTypeInfo{}, Interfaces: []InterfaceInfo{}, TimeOutOfRange: s.TimeOutOfRange}
	for _, lt := range s.LinkTypes {
		j.LinkTypes = append(j.LinkTypes, LinkTypeInfo{lt, LinkTypeName(lt)})
	}
	for _, i := range s.Interfaces {
		j.Interfaces = append(j.Interfaces, InterfaceInfo{i.Section, i.Index, i.LinkType, i.Name, i.Description, i.SnapLen, i.TSResolution, i.TSOffset})
	}
	if s.Packets > 0 {
		avg := float64(s.WireBytes) / float64(s.Packets)
		j.AvgPacketBytes = &avg
	}
	if s.Timed > 0 { // packets without a time (simple packet blocks, times out of range) give none
		f, l := FormatTime(s.First), FormatTime(s.Last)
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

// FormatTime writes a packet time (nanoseconds since the Unix epoch) as Info does: RFC 3339 in UTC with nine
// decimals.
func FormatTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// LinkTypeName names a link type as gopacket does, or LINKTYPE_n when gopacket has no name for it.
func LinkTypeName(lt uint32) string {
	name := layers.LinkType(lt).String()
	if strings.HasPrefix(name, "LinkType(") || strings.HasPrefix(name, "Unknown") {
		return fmt.Sprintf("LINKTYPE_%d", lt)
	}
	return name
}
