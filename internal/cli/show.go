package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// NewCmdShow builds `pcapframe show`.
func NewCmdShow(io *IO) *cobra.Command {
	var frame int64
	var withHex bool
	cmd := &cobra.Command{
		Use:   "show INPUT [--frame N] [--hex]",
		Short: "Dissect one frame layer by layer, like Scapy's show()",
		Long: `Print one frame of a capture layer by layer with every field and its value, as Scapy's show() does
(Ethernet, 802.1Q/802.1ad, ARP, IP, IPv6, TCP, UDP, ICMP, DNS, Raw and Padding with Scapy's names and values;
ports as numbers), followed by the frame's row of the packet table and, when the protocol analyzers read the
frame, their rows: the DNS transaction it asks or answers, the TLS handshake whose hello it holds (the whole
capture is read for them). --hex adds a hex and ASCII dump of the frame. Other layers are dissected with
gopacket; text from the capture is escaped before it is printed.`,
		Example: `  pcapframe show capture.pcap --frame 42 --hex`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if frame < 1 {
				return usagef("--frame must be 1 or more")
			}
			return runShow(cmd.Context(), io, args[0], frame, withHex)
		},
	}
	cmd.Flags().Int64VarP(&frame, "frame", "n", 1, "frame number (1-based, as in Wireshark)")
	cmd.Flags().BoolVarP(&withHex, "hex", "x", false, "add a hex and ASCII dump of the frame")
	return cmd
}

func runShow(ctx context.Context, io *IO, input string, frame int64, withHex bool) error {
	if _, err := expandInputs(io, []string{input}, ""); err != nil {
		return err
	}
	r, err := capture.Open(input)
	if err != nil {
		return err
	}
	defer r.Close()
	var n int64
	for {
		rec, err := r.Next()
		if errors.Is(err, errEOF) {
			return usagef("%s has %d frames: there is no frame %d", input, n, frame)
		}
		if err != nil {
			return err
		}
		n++
		if rec.Frame != frame {
			continue
		}
		var b strings.Builder
		writeShow(&b, rec, withHex)
		if input != "-" && transport(rec) {
			// What the protocol tables say about the frame (its DNS transaction, its TLS hello).
			if err := writeTableViews(ctx, &b, input, frame); err != nil {
				fmt.Fprintf(io.ErrOut, "pcapframe: %s\n", Sanitize(err.Error()))
			}
		}
		_, err = io.Out.Write([]byte(b.String()))
		return err
	}
}

// transport reports whether the frame carries TCP or UDP (which the protocol tables read).
func transport(rec *capture.Record) bool {
	var p packet.Packet
	packet.NewDecoder().Decode(&p, pipeline.Meta(rec), rec.Data)
	return p.Proto == 6 || p.Proto == 17
}

// writeShow writes the dissection of one record.
func writeShow(w *strings.Builder, rec *capture.Record, withHex bool) {
	section(w, "Frame")
	field(w, "source", rec.Source)
	field(w, "frame", rec.Frame)
	switch {
	case rec.TimeOutOfRange:
		field(w, "time", "none (the timestamp, after the interface's if_tsresol and if_tsoffset, is outside 1970-01-01..2116-02-20)")
	case rec.NoTime:
		field(w, "time", "none (simple packet block)")
	default:
		field(w, "time", time.Unix(0, rec.Time).UTC().Format("2006-01-02 15:04:05.000000000 UTC"))
	}
	field(w, "offset", rec.Offset)
	field(w, "caplen", rec.CapLen)
	field(w, "wirelen", rec.WireLen)
	field(w, "linktype", fmt.Sprintf("%d (%s)", rec.LinkType, layers.LinkType(rec.LinkType)))
	field(w, "interface", rec.Interface)
	if rec.Comment != "" {
		field(w, "comment", rec.Comment)
	}
	pkt := gopacket.NewPacket(rec.Data, layers.LinkType(rec.LinkType), gopacket.DecodeOptions{NoCopy: true})
	off := 0
	all := pkt.Layers()
	for d := 0; d < len(all); d++ {
		l := all[d]
		if p, ok := l.(*gopacket.Payload); ok && d > 0 && all[d-1].LayerType() == layers.LayerTypeARP {
			// What follows an ARP message is padding (Scapy's Padding), not a payload.
			scapySection(w, "Padding")
			scapyField(w, d, "load", pyBytes(p.Payload()))
		} else if f, ok := l.(*gopacket.Fragment); ok && d > 0 && firstFragment(all[d-1]) != 0 {
			// The first fragment of a datagram starts with the transport header: dissect it, as Scapy does.
			more := gopacket.NewPacket(*f, firstFragment(all[d-1]), gopacket.DecodeOptions{NoCopy: true}).Layers()
			all = append(all[:d:d], more...)
			d--
			continue
		} else if q, ok := l.(*layers.Dot1Q); ok && d > 0 && outerType(all[d-1]) == layers.EthernetTypeQinQ {
			// A service tag (802.1ad): Scapy's Dot1AD, the fields of 802.1Q.
			var b strings.Builder
			writeScapyLayer(&b, d, q)
			w.WriteString(strings.Replace(b.String(), "###[ 802.1Q ]###", "###[ 802_1AD ]###", 1))
		} else if !writeScapyLayer(w, d, l) {
			section(w, l.LayerType().String())
			dumpFields(w, d, reflect.ValueOf(l))
		}
		off += len(l.LayerContents())
	}
	el := pkt.ErrorLayer()
	if el != nil {
		section(w, "Decode error")
		field(w, "error", strings.ToLower(el.Error().Error()))
	} else if off < len(rec.Data) {
		// Bytes after the end the headers declare (Ethernet's padding to 60 bytes, a trailer): Scapy's Padding.
		scapySection(w, "Padding")
		scapyField(w, len(pkt.Layers()), "load", pyBytes(rec.Data[off:]))
	}

	var p packet.Packet
	packet.NewDecoder().Decode(&p, pipeline.Meta(rec), rec.Data)
	section(w, "pcapframe row")
	for _, c := range packet.Table.Columns {
		var v any
		switch {
		case c.Int != nil:
			x, ok := c.Int(&p)
			if !ok {
				continue
			}
			v = x
			if c.Name == "time" {
				v = time.Unix(0, x).UTC().Format("2006-01-02 15:04:05.000000000 UTC")
			}
		case c.Append != nil:
			x, ok := c.Append(&p, nil)
			if !ok {
				continue
			}
			if c.Name == "payload_raw" {
				continue // shown as payload_hex
			}
			v = string(x)
		}
		field(w, c.Name, v)
	}
	if withHex {
		w.WriteString("\n")
		w.WriteString(hex.Dump(rec.Data))
	}
}

// outerType is the EtherType that an Ethernet or 802.1Q layer says follows it (0 for other layers).
func outerType(l gopacket.Layer) layers.EthernetType {
	switch x := l.(type) {
	case *layers.Ethernet:
		return x.EthernetType
	case *layers.Dot1Q:
		return x.Type
	}
	return 0
}

// firstFragment returns the transport layer type that the first fragment of an IPv4 datagram starts with, when l
// is the IPv4 header of a first fragment (offset 0, more fragments) of TCP, UDP or ICMP; 0 otherwise.
func firstFragment(l gopacket.Layer) gopacket.LayerType {
	ip, ok := l.(*layers.IPv4)
	if !ok || ip.FragOffset != 0 || ip.Flags&layers.IPv4MoreFragments == 0 {
		return 0
	}
	switch ip.Protocol {
	case layers.IPProtocolTCP:
		return layers.LayerTypeTCP
	case layers.IPProtocolUDP:
		return layers.LayerTypeUDP
	case layers.IPProtocolICMPv4:
		return layers.LayerTypeICMPv4
	}
	return 0
}

func section(w *strings.Builder, name string) { fmt.Fprintf(w, "###[ %s ]###\n", name) }

func field(w *strings.Builder, name string, v any) {
	fmt.Fprintf(w, "  %-14s= %s\n", name, Sanitize(fmt.Sprint(v)))
}

var byteSlice = reflect.TypeOf([]byte(nil))

// dumpFields prints the exported fields of a gopacket layer at depth d, skipping its raw contents and payload.
func dumpFields(w *strings.Builder, d int, v reflect.Value) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous || f.Name == "Contents" || f.Name == "Payload" {
			continue
		}
		scapyField(w, d, f.Name, formatValue(v.Field(i), 0))
	}
}

func formatValue(v reflect.Value, depth int) string {
	if depth > 3 {
		return "..."
	}
	if !v.IsValid() {
		return "<nil>"
	}
	if v.CanInterface() {
		switch x := v.Interface().(type) {
		case net.IP:
			return x.String()
		case net.HardwareAddr:
			return x.String()
		case []byte:
			if printableASCII(x) {
				return pyBytes(x) // a name or other text (DNS names): as Scapy shows it
			}
			if len(x) > 64 {
				return hex.EncodeToString(x[:64]) + fmt.Sprintf("... (%d bytes)", len(x))
			}
			return hex.EncodeToString(x)
		case fmt.Stringer:
			if v.Kind() != reflect.Struct && v.Kind() != reflect.Pointer {
				return x.String()
			}
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "<nil>"
		}
		return formatValue(v.Elem(), depth)
	case reflect.Slice, reflect.Array:
		if v.Type() == byteSlice {
			if printableASCII(v.Bytes()) {
				return pyBytes(v.Bytes())
			}
			return hex.EncodeToString(v.Bytes())
		}
		n := v.Len()
		parts := make([]string, 0, min(n, 16))
		for i := 0; i < n && i < 16; i++ {
			parts = append(parts, formatValue(v.Index(i), depth+1))
		}
		if n > 16 {
			parts = append(parts, fmt.Sprintf("... (%d items)", n))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Struct:
		t := v.Type()
		var parts []string
		for i := range t.NumField() {
			if !t.Field(i).IsExported() || t.Field(i).Anonymous || t.Field(i).Name == "Contents" || t.Field(i).Name == "Payload" {
				continue
			}
			parts = append(parts, t.Field(i).Name+"="+formatValue(v.Field(i), depth+1))
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	if v.CanInterface() {
		return fmt.Sprint(v.Interface())
	}
	return v.String()
}

var errEOF = io.EOF

// printableASCII reports whether b is non-empty printable ASCII text.
func printableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return len(b) > 0
}
