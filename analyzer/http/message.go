package http

import (
	"bytes"
	"strconv"
	"strings"
)

// Limits of a Parser. The zero value selects the defaults.
type Limits struct {
	// MaxHeaderBytes caps the bytes of a start line and header section that are kept and parsed (default
	// DefaultMaxHeaderBytes); the rest of a longer section is scanned for its end without being kept, and the
	// message gets a note.
	MaxHeaderBytes int
	// MaxHeaders caps the header fields kept per message (default DefaultMaxHeaders); later fields still frame
	// the message but are dropped from Message.Headers, with a note.
	MaxHeaders int
}

// Defaults of Limits.
const (
	DefaultMaxHeaderBytes = 64 << 10
	DefaultMaxHeaders     = 256
	maxChunkLine          = 1 << 10 // a chunk-size line (with extensions) longer than this ends the parsing
	maxMethod             = 32
	maxNotes              = 8
	maxLead               = 16
	maxStartLine          = 16 << 10 // a start line longer than this is not HTTP
	maxProbes             = 4        // runs of bytes at a direction's start that may fail to start a message
	keepHeader            = 8 << 10  // a header buffer larger than this is released after its message's headers
)

// Header is one header field as sent: name and value with surrounding whitespace removed, obsolete line folds
// joined by one space. Both are raw bytes as strings (not escaped).
type Header struct{ Name, Value string }

// Message is one HTTP/1.x request or response as a Parser reads it. Strings hold the raw bytes of the message.
type Message struct {
	Response bool
	Method   string // request method
	Target   string // request-target (the URI as sent)
	Version  string // "1.1", "1.0", ...: the digits after "HTTP/"
	Status   int    // response status code
	Reason   string // response reason phrase

	Headers []Header // in the order sent, at most Limits.MaxHeaders

	ContentLength int64 // the Content-Length value, -1 when absent or invalid
	Chunked       bool  // Transfer-Encoding ends with chunked
	// NoBody may be set by Handler.Start of a response that has no body whatever its headers say (the answer to
	// a HEAD request); the parser sets it for 1xx, 204 and 304 responses.
	NoBody bool
	// Tunnel may be set by Handler.Start of a response after which the connection is no longer HTTP (a 2xx
	// answer to CONNECT); the parser sets it for 101 Switching Protocols.
	Tunnel     bool
	UntilClose bool // the body is delimited by the end of the connection

	BodyLen  int64 // body bytes delivered (chunked framing removed, content coding kept)
	Missing  int64 // body bytes the capture lacks (gaps)
	Complete bool  // the message ended as its framing says (or at a clean close for UntilClose bodies)

	Frame, Time       int64 // of the packet that delivered the start line's first byte
	EndFrame, EndTime int64 // of the packet that delivered the last byte
	Notes             []string
}

// Note adds a note to the message (at most 8 distinct notes are kept).
func (m *Message) Note(s string) {
	if len(m.Notes) >= maxNotes {
		return
	}
	for _, n := range m.Notes {
		if n == s {
			return
		}
	}
	m.Notes = append(m.Notes, s)
}

// Get returns the value of the first header field called name (ASCII case ignored), and whether there is one.
func (m *Message) Get(name string) (string, bool) {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// Handler receives what a Parser reads. The *Message is owned by the parser; it stays valid and unchanged
// (apart from the body counters) from Start to End, and is not reused after End.
type Handler interface {
	// Start is called when a message's header section is complete.
	Start(m *Message)
	// Body is called with body bytes, transfer coding (chunked) removed; b is valid only during the call.
	Body(m *Message, b []byte)
	// BodyGap reports n body bytes the capture lacks.
	BodyGap(m *Message, n int64)
	// End is called when the message is over (complete or not).
	End(m *Message)
}

type state uint8

const (
	stStart      state = iota // before a message: empty lines are skipped
	stHeader                  // inside the start line and header section
	stBody                    // inside a body of known length
	stChunkSize               // reading a chunk-size line
	stChunkData               // inside a chunk
	stChunkCRLF               // the CRLF after a chunk's data
	stTrailer                 // the trailer section after the last chunk
	stUntilClose              // a body delimited by the end of the connection
	stResync                  // after a gap between messages: waiting for data that starts a message
	stDead                    // not HTTP (or no longer): everything is ignored
)

// Parser reads the HTTP/1.x messages of one direction of a connection, incrementally, with bounded memory: the
// header section is held (at most Limits.MaxHeaderBytes), bodies are passed on as they arrive. Not safe for
// concurrent use.
type Parser struct {
	response bool
	lim      Limits
	st       state
	hdr      []byte // the start line and header section so far (at most lim.MaxHeaderBytes)
	scanned  int    // bytes of hdr already searched for the end of the section
	cut      bool   // the section is longer than the limit: skipping to its end
	tail     [3]byte
	nTail    int
	line     []byte // chunk-size line, or the trailer section's last bytes
	rem      int64  // bytes left in the body or chunk
	m        *Message
	messages int
	notHTTP  bool
	ended    bool
	simple   bool // an HTTP/0.9 simple request was sent: its answer has no status line
	lead     int  // bytes skipped at the direction's start
	probes   int  // runs of bytes at the direction's start that were not a message
	skipped  bool // bytes were dropped while resynchronising: the next message says so
	frame    int64
	time     int64
}

// NewParser returns a parser of requests (response false) or of responses.
func NewParser(response bool, lim Limits) *Parser {
	p := &Parser{}
	p.init(response, lim)
	return p
}

// init sets up a zero Parser as NewParser's.
func (p *Parser) init(response bool, lim Limits) {
	if lim.MaxHeaderBytes <= 0 {
		lim.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if lim.MaxHeaders <= 0 {
		lim.MaxHeaders = DefaultMaxHeaders
	}
	*p = Parser{response: response, lim: lim}
}

// Dead reports whether the parser reads no more: the direction's first bytes were not HTTP, the parsing lost
// its way, or the connection became a tunnel.
func (p *Parser) Dead() bool { return p.st == stDead }

// NotHTTP reports whether the direction's first bytes were not an HTTP message.
func (p *Parser) NotHTTP() bool { return p.notHTTP }

// Messages returns how many messages started.
func (p *Parser) Messages() int { return p.messages }

// InMessage reports whether a message has started and not ended.
func (p *Parser) InMessage() bool { return p.m != nil }

// ExpectSimple tells a response parser that an HTTP/0.9 simple request was sent: a response that does not
// start with a status line is that request's body-only answer.
func (p *Parser) ExpectSimple() { p.simple = true }

// Kill stops the parsing (the other direction saw a tunnel start); a message in progress ends.
func (p *Parser) Kill(h Handler) {
	if p.m != nil {
		if p.st == stUntilClose {
			p.finish(h, true)
		} else {
			p.abandon(h)
		}
	}
	p.st = stDead
	p.hdr, p.line = nil, nil
}

// Feed parses the next bytes of the direction, delivered by the packet with that frame number and time.
func (p *Parser) Feed(b []byte, frame, time int64, h Handler) {
	p.frame, p.time = frame, time
	// Each turn consumes at least one byte or changes state towards one that does: bounded by len(b) and the
	// number of states.
	for len(b) > 0 && p.st != stDead {
		switch p.st {
		case stResync:
			// A run of bytes that starts a message ends the resynchronisation; its first bytes may come in
			// several calls (held in p.line, at most maxMethod+2 bytes).
			n := min(len(b), maxMethod+2-len(p.line))
			cand := append(p.line, b[:n]...)
			if startsMessage(cand, p.response) {
				held := bytes.Clone(cand[:len(cand)-n])
				p.line = cand[:0]
				p.st = stStart
				if len(held) > 0 {
					p.Feed(held, frame, time, h)
				}
				continue
			}
			if len(cand) < maxMethod+2 && startPrefix(cand, p.response) {
				p.line = cand
				return
			}
			p.line = cand[:0]
			p.skipped = true
			if p.messages == 0 {
				p.probes++
				if p.probes >= maxProbes {
					p.notHTTP, p.st, p.hdr, p.line = true, stDead, nil, nil
				}
			}
			return // this run of bytes does not start a message: drop it
		case stStart:
			for len(b) > 0 && (b[0] == '\r' || b[0] == '\n') {
				b = b[1:]
			}
			// At a direction's start, a capture that begins inside a connection may show a keep-alive byte or
			// the end of an earlier message first: up to 16 bytes that cannot start a message are skipped.
			for p.messages == 0 && len(b) > 0 && p.lead < maxLead && !startByte(b[0], p.response) {
				b = b[1:]
				p.lead++
				p.skipped = true
			}
			if len(b) == 0 {
				return
			}
			p.st = stHeader
			p.hdr, p.scanned, p.cut, p.nTail = p.hdr[:0], 0, false, 0
			p.m = &Message{Response: p.response, ContentLength: -1, Frame: frame, Time: time}
			p.messages++
			if p.response && p.simple && !startsMessage(b, true) {
				// the answer to an HTTP/0.9 simple request: the body alone, up to the close (RFC 1945 §6)
				p.m.Version, p.m.UntilClose = "0.9", true
				p.st = stUntilClose
				h.Start(p.m)
				continue
			}
			if p.skipped {
				p.m.Note("bytes that are not HTTP were skipped before this message")
				p.skipped = false
			}
		case stHeader:
			b = p.header(b, h)
		case stBody:
			n := int64(len(b))
			if n > p.rem {
				n = p.rem
			}
			p.body(h, b[:n])
			b = b[n:]
			p.rem -= n
			if p.rem == 0 {
				p.finish(h, true)
			}
		case stUntilClose:
			p.body(h, b)
			return
		case stChunkSize, stTrailer:
			i := bytes.IndexByte(b, '\n')
			take := len(b)
			if i >= 0 {
				take = i + 1
			}
			if p.st == stChunkSize {
				if len(p.line)+take > maxChunkLine {
					p.m.Note("chunk-size line too long")
					p.lose(h)
					return
				}
				p.line = append(p.line, b[:take]...)
				b = b[take:]
				if i >= 0 {
					p.chunkSize(h)
				}
				continue
			}
			// trailer: lines until an empty one; only the current line's start is kept.
			line := b[:take]
			b = b[take:]
			if len(p.line) < 2 {
				p.line = append(p.line, line[:min(len(line), 2-len(p.line))]...)
			}
			if i >= 0 {
				empty := len(p.line) == 1 && p.line[0] == '\n' || len(p.line) == 2 && p.line[0] == '\r' && p.line[1] == '\n'
				p.line = p.line[:0]
				if empty {
					p.finish(h, true)
				}
			}
		case stChunkData:
			n := int64(len(b))
			if n > p.rem {
				n = p.rem
			}
			p.body(h, b[:n])
			b = b[n:]
			p.rem -= n
			if p.rem == 0 {
				p.st = stChunkCRLF
				p.line = p.line[:0]
			}
		case stChunkCRLF:
			c := b[0]
			b = b[1:]
			switch {
			case c == '\n':
				p.st = stChunkSize
				p.line = p.line[:0]
			case c == '\r' && len(p.line) == 0:
				p.line = append(p.line, c)
			default:
				p.m.Note("chunk data not followed by CRLF")
				p.lose(h)
				return
			}
		}
	}
}

// Gap reports n bytes of the direction that the capture lacks.
func (p *Parser) Gap(n int64, frame, time int64, h Handler) {
	p.frame, p.time = frame, time
	switch p.st {
	case stBody, stChunkData:
		if n <= p.rem {
			p.m.Missing += n
			h.BodyGap(p.m, n)
			p.rem -= n
			if p.rem == 0 {
				if p.st == stBody {
					p.finish(h, true)
				} else {
					p.st, p.line = stChunkCRLF, p.line[:0]
				}
			}
			return
		}
		p.m.Missing += p.rem
		h.BodyGap(p.m, p.rem)
		p.m.Note("gap past the end of the body")
		p.lose(h)
	case stUntilClose:
		p.m.Missing += n
		h.BodyGap(p.m, n)
	case stStart, stResync:
		if p.messages > 0 || p.st == stResync {
			p.st = stResync
		} else {
			p.st = stResync // the start of the direction is missing: wait for a message
		}
	case stDead:
	default: // inside a header section, chunk framing or trailer
		p.m.Note("gap inside the message framing")
		p.lose(h)
	}
}

// Close ends the direction: a body delimited by the connection's end is complete, a message cut short is
// ended incomplete, with a note.
func (p *Parser) Close(h Handler) {
	if p.ended {
		return
	}
	p.ended = true
	if p.m == nil {
		return
	}
	switch p.st {
	case stUntilClose:
		p.finish(h, true)
	case stHeader:
		if p.cut || len(p.hdr) > 0 {
			if p.parseHead(h, true) {
				p.m.Note("connection ended inside the header section")
				h.Start(p.m)
				p.finish(h, false)
				return
			}
		}
		p.m = nil
	default:
		p.m.Note("connection ended inside the body")
		p.finish(h, false)
	}
}

// lose ends the message in progress, incomplete, and waits for the start of a message (resynchronisation).
func (p *Parser) lose(h Handler) {
	p.abandon(h)
	p.st = stResync
	p.line = p.line[:0]
}

// abandon ends the message in progress, incomplete; one still in its header section is started first when
// its start line can be read, and dropped otherwise.
func (p *Parser) abandon(h Handler) {
	if p.m == nil {
		return
	}
	if p.st == stHeader {
		if p.cut || len(p.hdr) > 0 {
			if p.parseHead(h, true) {
				h.Start(p.m)
				p.finish(h, false)
				return
			}
		}
		p.m = nil
		return
	}
	p.finish(h, false)
}

func (p *Parser) body(h Handler, b []byte) {
	if len(b) == 0 {
		return
	}
	p.m.BodyLen += int64(len(b))
	p.m.EndFrame, p.m.EndTime = p.frame, p.time
	h.Body(p.m, b)
}

func (p *Parser) finish(h Handler, complete bool) {
	m := p.m
	p.m = nil
	m.Complete = complete
	if m.EndFrame == 0 {
		m.EndFrame, m.EndTime = p.frame, p.time
	}
	if p.st != stDead {
		p.st = stStart
	}
	if m.Tunnel {
		p.st = stDead
	}
	h.End(m)
}

// header consumes bytes of the header section; when its end is found it parses it and starts the body.
func (p *Parser) header(b []byte, h Handler) []byte {
	if !p.cut {
		room := p.lim.MaxHeaderBytes - len(p.hdr)
		take := min(len(b), room)
		// A section that starts in b is searched in b itself, and parsed there when it ends in b too (most
		// sections come in one segment); it is copied to p.hdr only when it goes on in later calls.
		alias := len(p.hdr) == 0
		buf := b[:take]
		if !alias {
			p.hdr = append(p.hdr, buf...)
			buf = p.hdr
		}
		// search for the blank line from a little before the new bytes
		from := max(p.scanned-3, 0)
		end := sectionEnd(buf[from:])
		if end >= 0 {
			end += from
		}
		if i := bytes.IndexByte(buf, '\n'); !p.response && i >= 0 && (i < end || end < 0) && simpleRequest(trimCR(buf[:i])) {
			end = i + 1 // a simple request is its request line alone
		}
		if end >= 0 {
			used := end - (len(buf) - take)
			own := p.hdr
			p.hdr = buf[:end]
			p.scanned = len(p.hdr)
			ok := p.startBody(h)
			if alias && p.hdr != nil {
				p.hdr = own[:0] // b is the caller's: p.hdr must not keep it
			}
			if !ok {
				return nil
			}
			return b[used:]
		}
		// bytes that cannot be a start line end the message before they are copied
		if nl := bytes.IndexByte(buf, '\n'); nl < 0 && (len(buf) > maxStartLine || len(buf) > 2*maxMethod && !plausibleStart(buf, p.response)) ||
			nl >= 0 && !validStart(buf[:nl], p.response) {
			p.die()
			return nil
		}
		if alias {
			p.hdr = append(p.hdr, buf...)
		}
		p.scanned = len(p.hdr)
		b = b[take:]
		if len(b) == 0 {
			return nil
		}
		p.cut = true
		p.m.Note("header section over " + strconv.Itoa(p.lim.MaxHeaderBytes) + " bytes: the rest was skipped")
		n := copy(p.tail[:], p.hdr[len(p.hdr)-3:])
		p.nTail = n
	}
	// skipping: look for the blank line across calls, keeping the last three bytes
	for i, c := range b {
		if c == '\n' && (p.nTail >= 1 && p.tail[p.nTail-1] == '\n' || p.nTail >= 2 && p.tail[p.nTail-1] == '\r' && p.tail[p.nTail-2] == '\n') {
			p.hdr = trimPartialLine(p.hdr)
			if !p.startBody(h) {
				return nil
			}
			return b[i+1:]
		}
		if p.nTail == 3 {
			p.tail[0], p.tail[1] = p.tail[1], p.tail[2]
			p.nTail = 2
		}
		p.tail[p.nTail] = c
		p.nTail++
	}
	return nil
}

// die marks the direction as not HTTP (first message) or as lost (later ones).
func (p *Parser) die() {
	p.hdr = nil
	if p.messages == 1 {
		// The direction's first bytes are not a message. A capture that starts inside a connection may begin
		// with the end of an earlier message (or a keep-alive byte): the next few runs of bytes are tried.
		p.m = nil
		p.messages = 0
		p.probes++
		if p.probes >= maxProbes {
			p.notHTTP, p.st = true, stDead
			return
		}
		p.st, p.skipped, p.line = stResync, true, p.line[:0]
		return
	}
	p.m = nil
	p.st = stResync
	p.skipped = true
	p.line = p.line[:0]
}

// sectionEnd returns the offset just past the blank line that ends a header section in b, or -1.
func sectionEnd(b []byte) int {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		if i < len(b) && b[i] == '\n' {
			return i + 1
		}
		if i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			return i + 2
		}
	}
	return -1
}

func trimPartialLine(b []byte) []byte {
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[:i+1]
	}
	return b[:0]
}

// startBody parses the header section and sets up the body; false when the start line is not HTTP.
func (p *Parser) startBody(h Handler) bool {
	if !p.parseHead(h, false) {
		p.die()
		return false
	}
	m := p.m
	if cap(p.hdr) > keepHeader {
		p.hdr = nil // a large header section's buffer is not kept between messages
	}
	h.Start(m)
	switch {
	case m.Response && m.Status == 101:
		m.Tunnel, m.NoBody = true, true
	case m.Response && (m.Status/100 == 1 || m.Status == 204 || m.Status == 304):
		m.NoBody = true
	}
	if m.Tunnel && m.Response && m.Status/100 == 2 {
		m.NoBody = true
	}
	switch {
	case m.NoBody:
		p.finish(h, true)
	case m.Chunked:
		p.st, p.line = stChunkSize, p.line[:0]
	case m.ContentLength > 0:
		p.st, p.rem = stBody, m.ContentLength
	case m.ContentLength == 0:
		p.finish(h, true)
	case m.Response:
		m.UntilClose = true
		p.st = stUntilClose
	default: // a request without Content-Length or chunked coding has no body (RFC 9112 §6.3)
		p.finish(h, true)
	}
	return true
}

// parseHead parses p.hdr into p.m; false when the start line is not an HTTP start line.
func (p *Parser) parseHead(h Handler, partial bool) bool {
	b := p.hdr
	if partial {
		b = trimPartialLine(b)
	}
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return false
	}
	// One string holds the section: the start line's fields and the header names and values are parts of it.
	sec := string(b)
	m := p.m
	if !parseStart(m, trimCRString(sec[:i])) {
		return false
	}
	sec = sec[i+1:]
	var lens []string
	var te string
	hasTE := false
	dropped := 0
	for len(sec) > 0 {
		i := strings.IndexByte(sec, '\n')
		if i < 0 {
			i = len(sec)
		}
		line := trimCRString(sec[:i])
		sec = sec[min(i+1, len(sec)):]
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' { // obs-fold (RFC 9112 §5.2)
			if n := len(m.Headers); n > 0 && dropped == 0 {
				m.Headers[n-1].Value = strings.TrimSpace(m.Headers[n-1].Value + " " + strings.TrimSpace(line))
				m.Note("obsolete line folding")
			}
			continue
		}
		c := strings.IndexByte(line, ':')
		if c <= 0 {
			m.Note("header line without a colon")
			continue
		}
		name := strings.TrimRight(line[:c], " \t")
		value := strings.Trim(line[c+1:], " \t")
		switch {
		case strings.EqualFold(name, "Content-Length"):
			lens = append(lens, value)
		case strings.EqualFold(name, "Transfer-Encoding"):
			if hasTE {
				te += ","
			}
			te += value
			hasTE = true
		}
		if len(m.Headers) >= p.lim.MaxHeaders {
			dropped++
			continue
		}
		m.Headers = append(m.Headers, Header{Name: name, Value: value})
	}
	if dropped > 0 {
		m.Note("more than " + strconv.Itoa(p.lim.MaxHeaders) + " header fields: the rest were dropped")
	}
	if hasTE {
		codings := strings.Split(te, ",")
		last := strings.TrimSpace(codings[len(codings)-1])
		m.Chunked = strings.EqualFold(last, "chunked")
		if !m.Chunked && !m.Response {
			m.Note("request with a Transfer-Encoding that does not end with chunked")
		}
		if len(lens) > 0 {
			m.Note("both Transfer-Encoding and Content-Length")
		}
	}
	if len(lens) > 0 {
		n, ok := contentLength(lens)
		if !ok {
			m.Note("invalid Content-Length")
		} else if !hasTE {
			m.ContentLength = n
		} else {
			m.ContentLength = n // kept for the table; the framing follows Transfer-Encoding
		}
	}
	if hasTE && !m.Chunked {
		if m.Response {
			m.ContentLength = -1 // a response with a non-chunked transfer coding runs to the close
		}
	}
	if hasTE && m.Chunked {
		// the framing is chunked; ContentLength is informative only
		return true
	}
	return true
}

// contentLength parses Content-Length values: all equal lists of digits (RFC 9110 §8.6).
func contentLength(vals []string) (int64, bool) {
	var out int64 = -1
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" || len(part) > 18 {
				return -1, false
			}
			var n int64
			for i := 0; i < len(part); i++ {
				c := part[i]
				if c < '0' || c > '9' {
					return -1, false
				}
				n = n*10 + int64(c-'0')
			}
			if out >= 0 && n != out {
				return -1, false
			}
			out = n
		}
	}
	return out, out >= 0
}

// chunkSize parses the chunk-size line in p.line (RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF).
func (p *Parser) chunkSize(h Handler) {
	line := trimCR(bytes.TrimSuffix(p.line, []byte{'\n'}))
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.Trim(line, " \t")
	p.line = p.line[:0]
	n, ok := parseHex(line)
	if !ok {
		p.m.Note("invalid chunk size")
		p.lose(h)
		return
	}
	if n == 0 {
		p.st = stTrailer
		return
	}
	p.st, p.rem = stChunkData, n
}

// parseHex parses a chunk size: 1 to 15 hex digits (sizes up to 2^60, which no capture reaches).
func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

func trimCRString(s string) string {
	if len(s) > 0 && s[len(s)-1] == '\r' {
		return s[:len(s)-1]
	}
	return s
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// isTchar reports whether c may appear in a token (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isToken reports whether every byte of b is a tchar.
func isToken(b []byte) bool {
	for _, c := range b {
		if !isTchar(c) {
			return false
		}
	}
	return true
}

// version parses "HTTP/d.d" and returns "d.d".
func version(b string) (string, bool) {
	if len(b) != 8 || b[:5] != "HTTP/" || b[5] < '0' || b[5] > '9' || b[6] != '.' || b[7] < '0' || b[7] > '9' {
		return "", false
	}
	return b[5:], true
}

// validStart reports whether line (without its line end) is a request line or a status line.
func validStart(line []byte, response bool) bool {
	// what parseStart requires of a line's first bytes, checked before the line is copied to a string
	if response {
		if !bytes.HasPrefix(line, []byte("HTTP/")) {
			return false
		}
	} else if sp := bytes.IndexByte(line[:min(len(line), maxMethod+1)], ' '); sp <= 0 || !isToken(line[:sp]) {
		return false
	}
	m := Message{Response: response}
	return parseStart(&m, string(trimCR(line)))
}

// simpleRequest reports whether line (without its line end) is HTTP/0.9's simple request, as parseStart reads
// it: "GET" SP a target that starts with "/" and has no space.
func simpleRequest(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("GET "))
	return ok && len(rest) > 0 && rest[0] == '/' && bytes.IndexByte(rest, ' ') < 0
}

// parseStart parses a request line (method SP request-target SP HTTP-version) or a status line (HTTP-version
// SP status-code SP [reason-phrase]) into m.
func parseStart(m *Message, line string) bool {
	if m.Response {
		if len(line) < 12 {
			return false
		}
		v, ok := version(line[:8])
		if !ok || line[8] != ' ' {
			return false
		}
		code := line[9:12]
		for i := 0; i < len(code); i++ {
			if c := code[i]; c < '0' || c > '9' {
				return false
			}
		}
		if len(line) > 12 && line[12] != ' ' {
			return false
		}
		m.Version = v
		m.Status = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
		if len(line) > 13 {
			m.Reason = line[13:]
		}
		return m.Status >= 100
	}
	sp := strings.IndexByte(line, ' ')
	if sp <= 0 || sp > maxMethod {
		return false
	}
	for i := 0; i < sp; i++ {
		if !isTchar(line[i]) {
			return false
		}
	}
	rest := line[sp+1:]
	last := strings.LastIndexByte(rest, ' ')
	if last <= 0 {
		// HTTP/0.9's simple request (RFC 1945 §4.1): "GET" SP Request-URI, no version, no headers.
		if line[:sp] == "GET" && len(rest) > 0 && rest[0] == '/' && strings.IndexByte(rest, ' ') < 0 {
			m.Method, m.Target, m.Version = "GET", rest, "0.9"
			return true
		}
		return false
	}
	v, ok := version(rest[last+1:])
	if !ok {
		return false
	}
	target := strings.TrimRight(rest[:last], " ")
	if len(target) == 0 {
		return false
	}
	m.Method = line[:sp]
	m.Target = target
	m.Version = v
	return true
}

// plausibleStart reports whether b, a start line's first bytes without its end, may still become a start line.
func plausibleStart(b []byte, response bool) bool {
	if response {
		return len(b) >= 5 && string(b[:5]) == "HTTP/"
	}
	return startsMessage(b, false)
}

// startsMessage reports whether b looks like the start of a message (for resynchronisation after a gap): a
// status line's "HTTP/1." or a method in upper case followed by a space and a target.
func startsMessage(b []byte, response bool) bool {
	if response {
		return len(b) >= 7 && string(b[:7]) == "HTTP/1."
	}
	sp := bytes.IndexByte(b[:min(len(b), maxMethod+1)], ' ')
	if sp <= 0 {
		return false
	}
	for _, c := range b[:sp] {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return sp+1 < len(b) && (b[sp+1] == '/' || b[sp+1] == '*' || b[sp+1] >= 'a' && b[sp+1] <= 'z')
}

// startByte reports whether c may be the first byte of a message: an upper-case letter of a method, or the H of
// a status line's HTTP/.
func startByte(c byte, response bool) bool {
	if response {
		return c == 'H'
	}
	return c >= 'A' && c <= 'Z'
}

// startPrefix reports whether b may be the beginning of what startsMessage accepts.
func startPrefix(b []byte, response bool) bool {
	if response {
		const v = "HTTP/1."
		return len(b) < len(v) && v[:len(b)] == string(b)
	}
	for i, c := range b {
		if c == ' ' {
			return i > 0 && i == len(b)-1
		}
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
