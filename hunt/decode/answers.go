package decode

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/pcapframe/pcapframe"
	"github.com/pcapframe/pcapframe/packet"
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

// ReadResponses reads the DNS responses over UDP from port 53 in the captures whose question is below domain
// (or, when domain is "", whose question begins with the label "dnscat": dnscat2 without a domain), in capture
// order, and the queries to port 53 under it that carry answer records (Response.Query: data in the answer
// section of a query). Messages over TCP and IP fragments are not read. A damaged message is skipped; a damaged input's error
// is returned with the responses read before it. At most MaxResponses responses and MaxAnswerBytes bytes of
// answers are kept (ErrTooLarge beyond).
func ReadResponses(ctx context.Context, inputs []string, domain string) ([]Response, error) {
	dl := Labels(strings.ToLower(strings.Trim(domain, ".")))
	var out []Response
	var kept int64
	var firstErr error
	n := 0
	for p, err := range pcapframe.Packets(inputs...) {
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		if !p.Has(packet.HasUDP) || p.SPort != 53 && p.DPort != 53 || p.Has(packet.HasFragment) {
			continue
		}
		m := p.Payload()
		if len(m) < 12 || m[2]&0x80 == 0 && (p.DPort != 53 || m[6] == 0 && m[7] == 0) || m[2]&0x80 != 0 && p.SPort != 53 {
			continue // a query without answers, or a message the wrong way
		}
		r, err := parseMessage(m)
		if r == nil || r.Name == "" {
			continue
		}
		_ = err // a damaged record ends the answers read; the records before it are kept
		if !nameUnder(Labels(r.Name), dl) {
			continue
		}
		if len(out) >= MaxResponses {
			return out, fmt.Errorf("more than %d responses: %w", MaxResponses, ErrTooLarge)
		}
		for _, a := range r.Answers {
			kept += int64(len(a.Data))
		}
		if kept > MaxAnswerBytes {
			return out, fmt.Errorf("more than %d bytes of answers: %w", MaxAnswerBytes, ErrTooLarge)
		}
		r.TS, r.Frame, r.Client, r.Server = p.Time, p.Frame, p.Dst.String(), p.Src.String()
		if r.Query {
			r.Client, r.Server = r.Server, r.Client
		}
		out = append(out, *r)
	}
	return out, firstErr
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
