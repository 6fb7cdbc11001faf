package dns

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// Limits of the message parser.
const (
	maxNameWire = 255 // RFC 1035 §2.3.4: a name's encoding, length bytes and the root label included
	maxLabel    = 63  // RFC 1035 §2.3.4
	maxLabels   = 128 // labels in a name of at most 255 bytes
	maxAnswers  = 256 // answer records kept per message; more are counted (noteManyAnswers)
	headerLen   = 12
)

// note is what went wrong while parsing a message, as Zeek's weird.log names such events. A message keeps its
// first note; the parse stops there, and what was parsed before is kept.
type note uint8

// The notes.
const (
	noteNone        note = iota
	noteShortHeader      // fewer than 12 bytes
	noteTruncated        // the counts announce more than the message holds (counts that lie, or a cut message)
	noteBadLabel         // a label length byte of 64..191: labels over 63 bytes, or the reserved 01/10 label types
	noteNameLong         // a name over 255 bytes
	noteLoop             // a compression pointer to itself or forward: a possible loop
	notePointerEnd       // a compression pointer past the end of the message
	noteRDataEnd         // a record's data runs past the end of the message
	noteBadRData         // a record's data does not fit its type (an A record that is not 4 bytes, ...)
	noteTrailing         // bytes after the last record the counts announce
	noteManyAnswers      // more answer records than a row keeps (256)
	noteGap              // TCP: a hole in the capture inside or before the message
	noteTCPLength        // TCP: a length prefix shorter than a DNS header
	noteTCPBudget        // TCP: the buffer budget for split messages is spent (MaxTCPBuffered); a count only
	nNotes
)

var noteText = [nNotes]string{
	"",
	"truncated header",
	"truncated: counts exceed the message",
	"label over 63 bytes or reserved label type",
	"name over 255 bytes",
	"compression pointer loop",
	"compression pointer past end",
	"record data past end",
	"record data length wrong for its type",
	"bytes after the last record",
	"too many answers",
	"gap in TCP stream",
	"TCP message shorter than a DNS header",
	"TCP buffer budget exceeded",
}

func (n note) String() string { return noteText[n] }

// answer is one record of the answer section.
type answer struct {
	typ, class uint16
	ttl        uint32
	off, n     int32 // its text (as Zeek writes answers) in message.text
}

// name is a decoded domain name: its labels as raw bytes joined by '.', its escaped text form and the label
// boundaries (label i is raw[start[i]:end[i]]).
type name struct {
	raw, esc []byte
	labels   int
	longest  int
	end      [maxLabels]uint8 // end offset in raw of each label (raw is at most 254 bytes)
}

func (nm *name) reset() {
	nm.raw, nm.esc, nm.labels, nm.longest = nm.raw[:0], nm.esc[:0], 0, 0
}

// message is one parsed DNS message. It is reused: parse resets it, and its slices refer to its own buffers, so
// a message parsed again costs no allocation once its buffers have grown.
type message struct {
	id, flags                  uint16
	qdcount, ancount           uint16
	nscount, arcount           uint16
	questionOK                 bool // the header and the first question parsed: this is DNS
	hasQuestion                bool
	qname                      name
	qtype, qclass              uint16
	answers                    []answer
	text                       []byte // answer texts
	edns                       bool
	ednsSize                   uint16
	ednsDO                     bool
	size                       int
	note                       note
	scratch, scratchEsc, owner name
}

func (m *message) qr() bool      { return m.flags&0x8000 != 0 }
func (m *message) opcode() uint8 { return uint8(m.flags>>11) & 0xf }
func (m *message) aa() bool      { return m.flags&0x0400 != 0 }
func (m *message) tc() bool      { return m.flags&0x0200 != 0 }
func (m *message) rd() bool      { return m.flags&0x0100 != 0 }
func (m *message) ra() bool      { return m.flags&0x0080 != 0 }
func (m *message) z() uint8      { return uint8(m.flags>>4) & 7 }
func (m *message) rcode() uint8  { return uint8(m.flags & 0xf) }
func (m *message) records() int  { return int(m.ancount) + int(m.nscount) + int(m.arcount) }
func (m *message) setNote(n note) {
	if m.note == noteNone {
		m.note = n
	}
}

// parse decodes b into m. It never fails: what went wrong is m.note, and what was decoded before it is kept.
// Work is bounded by len(b): every record consumes at least 11 bytes, every name at most 255 bytes and 128
// compression jumps.
func (m *message) parse(b []byte) {
	m.id, m.flags, m.qdcount, m.ancount, m.nscount, m.arcount = 0, 0, 0, 0, 0, 0
	m.questionOK, m.hasQuestion, m.qtype, m.qclass = false, false, 0, 0
	m.qname.reset()
	m.answers, m.text = m.answers[:0], m.text[:0]
	m.edns, m.ednsSize, m.ednsDO = false, 0, false
	m.size, m.note = len(b), noteNone
	if len(b) < headerLen {
		m.note = noteShortHeader
		if len(b) >= 4 {
			m.id, m.flags = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		}
		return
	}
	m.id = binary.BigEndian.Uint16(b)
	m.flags = binary.BigEndian.Uint16(b[2:])
	m.qdcount = binary.BigEndian.Uint16(b[4:])
	m.ancount = binary.BigEndian.Uint16(b[6:])
	m.nscount = binary.BigEndian.Uint16(b[8:])
	m.arcount = binary.BigEndian.Uint16(b[10:])
	off := headerLen
	for i := range int(m.qdcount) {
		nm := &m.scratch
		if i == 0 {
			nm = &m.qname
		}
		nm.reset()
		next, n := readName(b, off, nm)
		if n != noteNone {
			m.note = n
			return
		}
		if next+4 > len(b) {
			m.note = noteTruncated
			return
		}
		if i == 0 {
			m.hasQuestion = true
			m.qtype = binary.BigEndian.Uint16(b[next:])
			m.qclass = binary.BigEndian.Uint16(b[next+2:])
		}
		off = next + 4
	}
	m.questionOK = true
	total := m.records()
	for i := range total {
		// The owner name is checked; it is decoded only in the answer section (NSEC answers show it).
		owner := &m.owner
		owner.reset()
		if i >= int(m.ancount) {
			owner = nil
		}
		next, n := readName(b, off, owner)
		if n != noteNone {
			m.note = n
			return
		}
		if next+10 > len(b) {
			m.note = noteTruncated
			return
		}
		typ := binary.BigEndian.Uint16(b[next:])
		class := binary.BigEndian.Uint16(b[next+2:])
		ttl := binary.BigEndian.Uint32(b[next+4:])
		rdlen := int(binary.BigEndian.Uint16(b[next+8:]))
		rd := next + 10
		if rd+rdlen > len(b) {
			m.note = noteRDataEnd
			return
		}
		off = rd + rdlen
		if typ == 41 { // OPT (RFC 6891): class is the UDP payload size, the TTL holds the DO bit
			if !m.edns {
				m.edns, m.ednsSize, m.ednsDO = true, class, ttl&0x8000 != 0
			}
		}
		if i >= int(m.ancount) {
			continue
		}
		if len(m.answers) == maxAnswers {
			m.setNote(noteManyAnswers)
			continue
		}
		start := len(m.text)
		m.text = m.appendAnswer(m.text, b, typ, rd, rdlen)
		m.answers = append(m.answers, answer{typ: typ, class: class, ttl: ttl, off: int32(start), n: int32(len(m.text) - start)})
	}
	if off < len(b) {
		m.setNote(noteTrailing)
	}
}

// readName decodes the name at off in msg into nm (nil: only check it) and returns the offset just after its
// encoding at off.
// Compression pointers must point before the run of labels they end (RFC 1035 §4.1.4: "a prior occurrence"),
// so pointers cannot loop; at most maxLabels jumps are followed.
func readName(msg []byte, off int, nm *name) (next int, n note) {
	next = -1
	pos := off
	runStart := off // start of the current run of labels: a pointer must point before it
	wire := 1       // the root label
	for jumps := 0; ; {
		if pos >= len(msg) {
			return -1, noteTruncated
		}
		c := msg[pos]
		switch {
		case c == 0:
			if next < 0 {
				next = pos + 1
			}
			return next, noteNone
		case c&0xc0 == 0xc0:
			if pos+1 >= len(msg) {
				return -1, noteTruncated
			}
			ptr := int(c&0x3f)<<8 | int(msg[pos+1])
			if next < 0 {
				next = pos + 2
			}
			if ptr >= len(msg) {
				return -1, notePointerEnd
			}
			if ptr >= runStart {
				return -1, noteLoop
			}
			jumps++
			if jumps > maxLabels {
				return -1, noteLoop
			}
			pos, runStart = ptr, ptr
		case c > maxLabel:
			return -1, noteBadLabel
		default:
			l := int(c)
			if pos+1+l > len(msg) {
				return -1, noteTruncated
			}
			wire += 1 + l
			if wire > maxNameWire {
				return -1, noteNameLong
			}
			pos += 1 + l
			if nm == nil {
				continue
			}
			label := msg[pos-l : pos]
			if nm.labels > 0 {
				nm.raw = append(nm.raw, '.')
				nm.esc = append(nm.esc, '.')
			}
			nm.raw = append(nm.raw, label...)
			nm.esc = appendEscaped(nm.esc, label, true)
			nm.end[nm.labels] = uint8(len(nm.raw))
			nm.labels++
			nm.longest = max(nm.longest, l)
		}
	}
}

// appendEscaped appends b in the escaped text form: printable ASCII (0x20-0x7e) as is, except the backslash,
// written \\; every other byte as \xHH (lower-case hex); in a label (label true), '.' as \x2e, so that a plain
// '.' always separates labels. The form is reversible (see unescape).
func appendEscaped(dst, b []byte, label bool) []byte {
	const hex = "0123456789abcdef"
	plain := 0
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '\\' || c == '.' && label {
			break
		}
		plain++
	}
	dst = append(dst, b[:plain]...)
	for _, c := range b[plain:] {
		switch {
		case c == '\\':
			dst = append(dst, '\\', '\\')
		case c == '.' && label:
			dst = append(dst, '\\', 'x', '2', 'e')
		case c >= 0x20 && c < 0x7f:
			dst = append(dst, c)
		default:
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
		}
	}
	return dst
}

// appendName appends the escaped text of the name at off (the root name is "."). On a damaged name it notes why
// and appends nothing.
func (m *message) appendName(dst, msg []byte, off int) []byte {
	m.scratchEsc.reset()
	if _, n := readName(msg, off, &m.scratchEsc); n != noteNone {
		m.setNote(n)
		return dst
	}
	return appendNameText(dst, &m.scratchEsc)
}

func appendNameText(dst []byte, nm *name) []byte {
	if nm.labels == 0 {
		return append(dst, '.')
	}
	return append(dst, nm.esc...)
}

// appendAnswer appends an answer's text as Zeek's dns.log writes it.
func (m *message) appendAnswer(dst, msg []byte, typ uint16, rd, rdlen int) []byte {
	data := msg[rd : rd+rdlen]
	start := len(dst)
	bad := func() []byte {
		m.setNote(noteBadRData)
		return append(dst[:start], "<bad rdata>"...)
	}
	switch typ {
	case 1: // A
		if rdlen != 4 {
			return bad()
		}
		return netip.AddrFrom4([4]byte(data)).AppendTo(dst)
	case 28: // AAAA
		if rdlen != 16 {
			return bad()
		}
		return netip.AddrFrom16([16]byte(data)).AppendTo(dst)
	case 2, 3, 4, 5, 7, 8, 9, 12, 39: // NS, MD, MF, CNAME, MB, MG, MR, PTR, DNAME: a name
		if rdlen == 0 {
			return bad()
		}
		return m.appendName(dst, msg, rd)
	case 6: // SOA: the primary server's name
		if rdlen == 0 {
			return bad()
		}
		return m.appendName(dst, msg, rd)
	case 15: // MX: preference, exchange
		if rdlen < 3 {
			return bad()
		}
		return m.appendName(dst, msg, rd+2)
	case 33: // SRV: priority, weight, port, target
		if rdlen < 7 {
			return bad()
		}
		return m.appendName(dst, msg, rd+6)
	case 16, 99: // TXT, SPF: "TXT <length> <text>" per string, joined by spaces
		word := "TXT "
		if typ == 99 {
			word = "SPF "
		}
		for i, p := 0, 0; p < len(data); i++ {
			l := int(data[p])
			if p+1+l > len(data) {
				return bad()
			}
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = append(dst, word...)
			dst = strconv.AppendInt(dst, int64(l), 10)
			dst = append(dst, ' ')
			dst = appendEscaped(dst, data[p+1:p+1+l], false)
			p += 1 + l
		}
		return dst
	case 46: // RRSIG: "RRSIG <type covered> <signer>"
		if rdlen < 19 {
			return bad()
		}
		dst = append(dst, "RRSIG "...)
		dst = strconv.AppendInt(dst, int64(binary.BigEndian.Uint16(data)), 10)
		dst = append(dst, ' ')
		m.scratchEsc.reset()
		if _, n := readName(msg, rd+18, &m.scratchEsc); n != noteNone {
			m.setNote(n)
			return dst
		}
		if m.scratchEsc.labels == 0 {
			return append(dst, "<Root>"...)
		}
		return append(dst, m.scratchEsc.esc...)
	case 48: // DNSKEY: "DNSKEY <algorithm>"
		if rdlen < 4 {
			return bad()
		}
		dst = append(dst, "DNSKEY "...)
		return strconv.AppendInt(dst, int64(data[3]), 10)
	case 43: // DS: "DS <algorithm> <digest type>"
		if rdlen < 4 {
			return bad()
		}
		dst = append(dst, "DS "...)
		dst = strconv.AppendInt(dst, int64(data[2]), 10)
		dst = append(dst, ' ')
		return strconv.AppendInt(dst, int64(data[3]), 10)
	case 47: // NSEC: "NSEC <owner> <next>"
		dst = append(dst, "NSEC "...)
		dst = appendNameText(dst, &m.owner)
		dst = append(dst, ' ')
		return m.appendName(dst, msg, rd)
	case 50:
		return append(dst, "NSEC3"...)
	case 51:
		return append(dst, "NSEC3PARAM"...)
	}
	dst = append(dst, "<unknown type="...)
	dst = strconv.AppendInt(dst, int64(typ), 10)
	return append(dst, '>')
}
