package decode

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/analyzer/dns"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/tables"
)

// Answer is one answer record of a DNS response, as the downstream decoders need it (the dns table keeps answers
// as Zeek writes them, which loses the bytes of NULL records and the strings of TXT records).
type Answer struct {
	Type uint16
	// Pref is the preference of an MX record (the priority of an SRV record), which some tools order answers by.
	Pref uint16
	// Data is the record's data: the character-strings of a TXT record joined (their length bytes dropped), the
	// target name of a CNAME, MX, NS, PTR or SRV record in the escaped text form of Query.Name, else the raw
	// RDATA (A, AAAA, NULL, KEY, ...).
	Data []byte
}

// Response is one DNS response: its question and its answer section.
type Response struct {
	TS     int64 // packet time of the response, ns since the Unix epoch
	Frame  int64
	Client string // the address the response went to
	Server string
	ID     uint16
	RCode  uint8
	QType  uint16
	// Name is the question's name in the escaped text form of Query.Name.
	Name    string
	Answers []Answer
	// Query is true for a query (QR clear) that carries answer records: data the client put in the answer
	// section of its query, which only ReadResponses returns (ParseResponse refuses queries).
	Query bool
}

// Bounds of ReadResponses and ParseResponse (captures are hostile).
const (
	// MaxResponses bounds the responses ReadResponses keeps.
	MaxResponses = MaxQueries
	// MaxAnswerBytes bounds the answer bytes ReadResponses keeps in all (ErrTooLarge beyond).
	MaxAnswerBytes = 128 << 20
	// maxRecords bounds the answer records read from one message (the dns table keeps 256 as well).
	maxRecords = 256
	// maxPointers bounds the compression pointers followed in one name (RFC 1035 §4.1.4; a loop is damage).
	maxPointers = 64
)

// errDamaged is returned by ParseResponse for a message that is not a well-formed DNS response.
var errDamaged = errors.New("not a well-formed DNS response")

// ParseResponse parses a DNS response message (RFC 1035 §4.1): the first question and the answer section (at
// most 256 records). Name compression is followed with at most 64 pointers per name; a name longer than 255
// bytes, a pointer loop, a record running past the message or a query (QR clear) is an error.
func ParseResponse(m []byte) (*Response, error) {
	if len(m) >= 12 && m[2]&0x80 == 0 {
		return nil, fmt.Errorf("a query: %w", errDamaged)
	}
	return parseMessage(m)
}

// parseMessage parses a DNS message as ParseResponse does, a query too (Response.Query set).
func parseMessage(m []byte) (*Response, error) {
	if len(m) < 12 {
		return nil, fmt.Errorf("%d-byte message: %w", len(m), errDamaged)
	}
	flags := binary.BigEndian.Uint16(m[2:])
	qd, an := binary.BigEndian.Uint16(m[4:]), binary.BigEndian.Uint16(m[6:])
	r := &Response{ID: binary.BigEndian.Uint16(m[0:]), RCode: uint8(flags & 15), Query: flags&0x8000 == 0}
	off := 12
	if qd == 0 {
		return nil, fmt.Errorf("no question: %w", errDamaged)
	}
	for i := 0; i < int(qd); i++ {
		labels, next, err := readName(m, off)
		if err != nil {
			return nil, err
		}
		if next+4 > len(m) {
			return nil, fmt.Errorf("question cut: %w", errDamaged)
		}
		if i == 0 {
			r.Name, r.QType = EscapeName(labels), binary.BigEndian.Uint16(m[next:])
		}
		off = next + 4
		if i >= 8 {
			return nil, fmt.Errorf("%d questions: %w", qd, errDamaged)
		}
	}
	for i := 0; i < int(an) && i < maxRecords; i++ {
		_, next, err := readName(m, off)
		if err != nil {
			return r, err
		}
		if next+10 > len(m) {
			return r, fmt.Errorf("answer %d cut: %w", i, errDamaged)
		}
		typ := binary.BigEndian.Uint16(m[next:])
		n := int(binary.BigEndian.Uint16(m[next+8:]))
		start := next + 10
		if start+n > len(m) {
			return r, fmt.Errorf("answer %d's data cut: %w", i, errDamaged)
		}
		rd := m[start : start+n]
		off = start + n
		a := Answer{Type: typ}
		switch typ {
		case 16: // TXT: <length><bytes> strings
			for j := 0; j < len(rd); {
				l := int(rd[j])
				if j+1+l > len(rd) {
					return r, fmt.Errorf("answer %d: TXT string cut: %w", i, errDamaged)
				}
				a.Data = append(a.Data, rd[j+1:j+1+l]...)
				j += 1 + l
			}
			if a.Data == nil {
				a.Data = []byte{}
			}
		case 5, 2, 12: // CNAME, NS, PTR
			labels, _, err := readName(m[:start+n], start)
			if err != nil {
				return r, err
			}
			a.Data = []byte(EscapeName(labels))
		case 15: // MX: preference, exchange
			if n < 3 {
				return r, fmt.Errorf("answer %d: MX of %d bytes: %w", i, n, errDamaged)
			}
			labels, _, err := readName(m[:start+n], start+2)
			if err != nil {
				return r, err
			}
			a.Pref, a.Data = binary.BigEndian.Uint16(rd), []byte(EscapeName(labels))
		case 33: // SRV: priority, weight, port, target
			if n < 7 {
				return r, fmt.Errorf("answer %d: SRV of %d bytes: %w", i, n, errDamaged)
			}
			labels, _, err := readName(m[:start+n], start+6)
			if err != nil {
				return r, err
			}
			a.Pref, a.Data = binary.BigEndian.Uint16(rd), []byte(EscapeName(labels))
		default:
			a.Data = append([]byte{}, rd...)
		}
		r.Answers = append(r.Answers, a)
	}
	return r, nil
}

// readName reads the name at off (labels, with compression pointers) and returns its labels and the offset after
// it in the message.
func readName(m []byte, off int) ([][]byte, int, error) {
	var labels [][]byte
	next := -1
	total := 0
	for jumps := 0; ; {
		if off >= len(m) {
			return nil, 0, fmt.Errorf("name runs past the message: %w", errDamaged)
		}
		l := int(m[off])
		switch {
		case l == 0:
			if next < 0 {
				next = off + 1
			}
			return labels, next, nil
		case l&0xc0 == 0xc0:
			if off+1 >= len(m) {
				return nil, 0, fmt.Errorf("pointer cut: %w", errDamaged)
			}
			if jumps++; jumps > maxPointers {
				return nil, 0, fmt.Errorf("more than %d compression pointers: %w", maxPointers, errDamaged)
			}
			if next < 0 {
				next = off + 2
			}
			off = int(binary.BigEndian.Uint16(m[off:]) & 0x3fff)
		case l&0xc0 != 0:
			return nil, 0, fmt.Errorf("label type %#x: %w", l&0xc0, errDamaged)
		default:
			if off+1+l > len(m) {
				return nil, 0, fmt.Errorf("label cut: %w", errDamaged)
			}
			if total += l + 1; total > 255 {
				return nil, 0, fmt.Errorf("name longer than 255 bytes: %w", errDamaged)
			}
			labels = append(labels, m[off+1:off+1+l])
			off += 1 + l
		}
	}
}

// ReadResponses reads the DNS responses of the captures whose question is below domain (or, when domain is "",
// whose question begins with the label "dnscat": dnscat2 without a domain), and the queries to port 53 under it
// that carry answer records (Response.Query: data in the answer section of a query). It reads them as the tables
// do, in one pass (package tables): over UDP from port 53, IP fragments reassembled (a response larger than the
// path's MTU), and over TCP on port 53, each reassembled connection's length-prefixed messages (RFC 1035
// §4.2.2; a TCP message comes when its last byte does, with that packet's frame and time). A damaged message is
// skipped (a gap in a TCP connection ends its messages in that direction); a damaged input's error is returned
// with the responses read before it. At most MaxResponses responses and MaxAnswerBytes bytes of answers are kept
// (ErrTooLarge beyond), and at most maxTCPBuffered bytes of unfinished TCP messages are held at once.
func ReadResponses(ctx context.Context, inputs []string, domain string) ([]Response, error) {
	_, rs, err := ReadDNS(ctx, inputs, nil, domain, false)
	return rs, err
}

// ReadDNS reads the captures once for decoding DNS both ways: the queries (as ReadQueries; none unless queries)
// and the responses under domain (as ReadResponses). stdin is read for the input "-" (nil: os.Stdin).
func ReadDNS(ctx context.Context, inputs []string, stdin io.Reader, domain string, queries bool) ([]Query, []Response, error) {
	rr := &responseReader{dl: Labels(strings.ToLower(strings.Trim(domain, ".")))}
	outs := []tables.Output{{Def: tables.Analyzer(responseTable, func(func(*Response) error) *responseReader { return rr }), Writer: discardRows{}}}
	var qs []Query
	if queries {
		def := tables.Lookup(dns.Table.Name)
		if def == nil {
			return nil, nil, fmt.Errorf("no dns table")
		}
		outs = append(outs, tables.Output{Def: def, Writer: queryWriter{qs: &qs}})
	}
	_, err := tables.Run(ctx, inputs, outs, tables.Options{Pipeline: pipeline.Options{Stdin: stdin}})
	if rr.err != nil {
		return qs, rr.out, rr.err
	}
	return qs, rr.out, err
}

// responseTable names the rows of ReadResponses' pass, which keeps them itself (the rows are never written).
var responseTable = &schema.Table[Response]{Name: "dns_responses", Doc: "DNS responses for the downstream decoders."}

// discardRows is the Writer of responseTable.
type discardRows struct{}

func (discardRows) Write(any) error { return nil }
func (discardRows) Close() error    { return nil }
func (discardRows) Abort() error    { return nil }

// maxTCPBuffered bounds the bytes of unfinished DNS messages over TCP that ReadResponses holds at once (in all
// connections): a direction that would hold more is given up.
const maxTCPBuffered = 16 << 20

// responseReader is ReadResponses' analyzer (analyzer.Analyzer).
type responseReader struct {
	dl       [][]byte
	out      []Response
	kept     int64
	buffered int
	err      error // ErrTooLarge: the pass stops
}

func (a *responseReader) Packet(p *analyzer.Packet) error {
	if p.Flow == nil || p.Flow.Proto != 17 || !p.Has(packet.HasUDP) || p.SPort != 53 && p.DPort != 53 {
		return nil
	}
	return a.message(p.Payload(), p.SPort == 53, p.DPort == 53, p.Time, p.Frame, p.Src, p.Dst)
}

// message keeps the DNS message m if it is a response from port 53 (or a query to port 53 with answers) under the
// domain; src and dst are the addresses it went from and to.
func (a *responseReader) message(m []byte, fromServer, toServer bool, ts, frame int64, src, dst netip.Addr) error {
	if len(m) < 12 || m[2]&0x80 == 0 && (!toServer || m[6] == 0 && m[7] == 0) || m[2]&0x80 != 0 && !fromServer {
		return nil // a query without answers, or a message the wrong way
	}
	r, _ := parseMessage(m) // a damaged record ends the answers read; the records before it are kept
	if r == nil || r.Name == "" || !nameUnder(Labels(r.Name), a.dl) {
		return nil
	}
	if len(a.out) >= MaxResponses {
		a.err = fmt.Errorf("more than %d responses: %w", MaxResponses, ErrTooLarge)
		return a.err
	}
	for _, an := range r.Answers {
		a.kept += int64(len(an.Data))
	}
	if a.kept > MaxAnswerBytes {
		a.err = fmt.Errorf("more than %d bytes of answers: %w", MaxAnswerBytes, ErrTooLarge)
		return a.err
	}
	r.TS, r.Frame, r.Client, r.Server = ts, frame, dst.String(), src.String()
	if r.Query {
		r.Client, r.Server = r.Server, r.Client
	}
	a.out = append(a.out, *r)
	return nil
}

// WantStream implements analyzer.StreamFilter: DNS over TCP on port 53.
func (a *responseReader) WantStream(f *analyzer.Flow) bool {
	return f.Proto == 6 && (f.Orig.Port() == 53 || f.Resp.Port() == 53)
}

func (a *responseReader) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	if !a.WantStream(f) {
		return nil
	}
	return &tcpMessages{a: a, orig: f.Orig, resp: f.Resp}
}

func (a *responseReader) FlowEnd(*analyzer.Flow) error { return nil }
func (a *responseReader) Close() error                 { return nil }

// tcpMessages splits the two directions of a DNS connection over TCP into messages.
type tcpMessages struct {
	a          *responseReader
	orig, resp netip.AddrPort
	buf        [2][]byte // the unfinished message of each direction (0: from the originator)
	dead       [2]bool   // a gap, or too much held: no more messages that way
}

func (h *tcpMessages) Data(fromOrig bool, data []byte, frame, time int64) error {
	d, src, dst := 1, h.resp, h.orig
	if fromOrig {
		d, src, dst = 0, h.orig, h.resp
	}
	if h.dead[d] {
		return nil
	}
	b := data
	if len(h.buf[d]) > 0 {
		h.a.buffered -= len(h.buf[d])
		h.buf[d] = append(h.buf[d], data...)
		b = h.buf[d]
	}
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			break
		}
		if err := h.a.message(b[2:2+n], src.Port() == 53, dst.Port() == 53, time, frame, src.Addr(), dst.Addr()); err != nil {
			return err
		}
		b = b[2+n:]
	}
	if len(b) == 0 {
		h.buf[d] = h.buf[d][:0]
		return nil
	}
	if h.a.buffered+len(b) > maxTCPBuffered {
		h.dead[d], h.buf[d] = true, nil
		return nil
	}
	h.buf[d] = append(h.buf[d][:0], b...) // b may be part of h.buf[d]: copy moves it to the front
	h.a.buffered += len(b)
	return nil
}

func (h *tcpMessages) Gap(fromOrig bool, _ int64, _, _ int64) error {
	d := 1
	if fromOrig {
		d = 0
	}
	h.a.buffered -= len(h.buf[d])
	h.dead[d], h.buf[d] = true, nil
	return nil
}

func (h *tcpMessages) End() error {
	h.a.buffered -= len(h.buf[0]) + len(h.buf[1])
	h.buf = [2][]byte{}
	return nil
}

// nameUnder says whether labels are below the domain's labels dl, or begin with the "dnscat" tag when dl is empty.
func nameUnder(labels, dl [][]byte) bool {
	if len(dl) == 0 {
		return len(labels) >= 2 && strings.EqualFold(string(labels[0]), dnscatTag)
	}
	if len(labels) <= len(dl) {
		return false
	}
	tail := labels[len(labels)-len(dl):]
	for j := range dl {
		if !strings.EqualFold(string(tail[j]), string(dl[j])) {
			return false
		}
	}
	return true
}

// dnscatTag is the label dnscat2's client puts before the data when it has no domain ("direct to server" mode).
const dnscatTag = "dnscat"
