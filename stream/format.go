package stream

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Format is an output format of Follow.
type Format uint8

// The formats. ASCII, Hex and Raw print what `tshark -q -z follow,PROTO,FORMAT,N` prints, except that Raw is
// the bytes themselves rather than their hex.
const (
	ASCII Format = iota // Wireshark's ASCII view: each chunk's length, then its bytes (non-printable as '.')
	Hex                 // Wireshark's hex dump: offset, 16 bytes in hex, and as text
	Raw                 // the payload bytes, unchanged
	JSON                // one JSON document: the conversation, then each chunk with frame, time and base64 data
)

var formatNames = [...]string{"ascii", "hex", "raw", "json"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat returns the format called name.
func ParseFormat(name string) (Format, error) {
	for i, n := range formatNames {
		if strings.EqualFold(name, n) {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("unknown follow format %q (formats: %s)", name, strings.Join(formatNames[:], ", "))
}

// Header describes the conversation a Printer prints.
type Header struct {
	Proto          string // "tcp" or "udp"
	Stream         int64  // Wireshark's stream index
	UID            string // the flow's uid
	Client, Server netip.AddrPort
	// Node0 is the side that sent the conversation's first packet: Wireshark's Node 0, whose chunks are not
	// indented in ASCII and hex output. It is the server when a capture starts with the SYN-ACK.
	Node0 Side
}

const rule = "==================================================================="

// Printer writes the chunks of one conversation in a format. Text from the capture is never printed raw except
// in the Raw format: ASCII and Hex replace non-printable bytes with '.', JSON encodes them in base64.
type Printer struct {
	w      *bufio.Writer
	format Format
	sides  [2]bool
	off    [2]int64
	n      int64
	node0  Side
	line   []byte
}

// NewPrinter writes the header of the conversation to w and returns a printer of the chunks of the sides
// selected by sides (client, server).
func NewPrinter(w io.Writer, format Format, h Header, sides [2]bool) (*Printer, error) {
	p := &Printer{w: bufio.NewWriterSize(w, 64<<10), format: format, sides: sides, node0: h.Node0}
	switch format {
	case ASCII, Hex:
		n0, n1 := h.Client, h.Server
		if h.Node0 == Server {
			n0, n1 = n1, n0
		}
		fmt.Fprintf(p.w, "\n%s\nFollow: %s,%s\nFilter: %s.stream eq %d\nNode 0: %s\nNode 1: %s\n", rule, h.Proto, format, h.Proto, h.Stream, nodeName(n0), nodeName(n1))
	case JSON:
		fmt.Fprintf(p.w, `{"proto":%q,"stream":%d,"uid":%q,"client":{"host":%q,"port":%d},"server":{"host":%q,"port":%d},"node0":%q,"chunks":[`,
			h.Proto, h.Stream, h.UID, h.Client.Addr().String(), h.Client.Port(), h.Server.Addr().String(), h.Server.Port(), h.Node0)
	}
	return p, nil
}

// nodeName writes an endpoint as Wireshark's Follow does: addr:port, IPv6 in brackets.
func nodeName(ap netip.AddrPort) string {
	if ap.Addr().Is6() && !ap.Addr().Is4In6() {
		return "[" + ap.Addr().String() + "]:" + strconv.Itoa(int(ap.Port()))
	}
	return ap.Addr().Unmap().String() + ":" + strconv.Itoa(int(ap.Port()))
}

// Chunk prints one chunk (if its side is selected).
func (p *Printer) Chunk(c *Chunk) error {
	if !p.sides[c.Side] {
		return nil
	}
	indent := ""
	if c.Side != p.node0 {
		indent = "\t"
	}
	switch p.format {
	case Raw:
		if _, err := p.w.Write(c.Data); err != nil {
			return err
		}
	case ASCII:
		if c.Gap > 0 {
			fmt.Fprintf(p.w, "%s[%d bytes missing in capture file]\n", indent, c.Gap)
			break
		}
		b := p.line[:0]
		b = append(b, indent...)
		b = strconv.AppendInt(b, int64(len(c.Data)), 10)
		b = append(b, '\n')
		for _, x := range c.Data {
			if (x < 0x20 || x > 0x7e) && x != '\n' && x != '\r' {
				x = '.'
			}
			b = append(b, x)
		}
		b = append(b, '\n')
		p.line = b
		if _, err := p.w.Write(b); err != nil {
			return err
		}
	case Hex:
		if c.Gap > 0 {
			fmt.Fprintf(p.w, "%s[%d bytes missing in capture file]\n", indent, c.Gap)
			p.off[c.Side] += c.Gap
			break
		}
		p.hexDump(indent, c.Data, c.Side)
	case JSON:
		if p.n > 0 {
			p.w.WriteByte(',')
		}
		fmt.Fprintf(p.w, "\n{\"side\":%q,\"frame\":%d,\"ts\":\"%s\",\"offset\":%d,", c.Side, c.Frame, epoch(c.Time), c.Offset)
		if c.Gap > 0 {
			fmt.Fprintf(p.w, "\"gap\":%d}", c.Gap)
		} else {
			fmt.Fprintf(p.w, "\"len\":%d,\"data\":\"", len(c.Data))
			enc := base64.NewEncoder(base64.StdEncoding, p.w)
			enc.Write(c.Data)
			enc.Close()
			p.w.WriteString("\"}")
		}
	}
	p.n++
	return nil
}

// hexDump prints data as Wireshark's Follow hex view: 8 hex digits of offset (upper case), two spaces, 16 bytes
// in two groups of 8, and the bytes as text from column 60.
func (p *Printer) hexDump(indent string, data []byte, side Side) {
	const hexDigits = "0123456789abcdef"
	for len(data) > 0 {
		n := min(16, len(data))
		b := append(p.line[:0], indent...)
		b = append(b, strings.ToUpper(fmt.Sprintf("%08x", p.off[side]))...)
		start := len(b)
		b = append(b, strings.Repeat(" ", 52)...)
		for i, x := range data[:n] {
			col := start + 2 + 3*i
			if i >= 8 {
				col++
			}
			b[col], b[col+1] = hexDigits[x>>4], hexDigits[x&15]
		}
		for i, x := range data[:n] {
			if i == 8 {
				b = append(b, ' ')
			}
			if x < 0x20 || x > 0x7e {
				x = '.'
			}
			b = append(b, x)
		}
		for len(b) > 0 && b[len(b)-1] == ' ' { // tshark trims the line
			b = b[:len(b)-1]
		}
		b = append(b, '\n')
		p.line = b
		p.w.Write(b)
		p.off[side] += int64(n)
		data = data[n:]
	}
}

// Close prints the end of the output (with the reassembly counters in JSON) and flushes it.
func (p *Printer) Close(st Stats) error {
	switch p.format {
	case ASCII, Hex:
		p.w.WriteString(rule + "\n")
	case JSON:
		fmt.Fprintf(p.w, "\n],\"stats\":{")
		for s := range 2 {
			if s > 0 {
				p.w.WriteByte(',')
			}
			fmt.Fprintf(p.w, "%q:{\"bytes\":%d,\"chunks\":%d,\"gaps\":%d,\"gap_bytes\":%d,\"overlap_bytes\":%d,\"conflict_bytes\":%d}",
				Side(s), st.Bytes[s], st.Chunks[s], st.Gaps[s], st.GapBytes[s], st.Overlap[s], st.Conflicts[s])
		}
		p.w.WriteString("}}\n")
	}
	return p.w.Flush()
}

// epoch formats nanoseconds since the Unix epoch as seconds with nine decimals.
func epoch(ns int64) string {
	sign := ""
	u := uint64(ns)
	if ns < 0 {
		sign, u = "-", -u
	}
	return fmt.Sprintf("%s%d.%09d", sign, u/1e9, u%1e9)
}
