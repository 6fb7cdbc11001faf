package credentials

import (
	"bytes"
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/pcapframe/pcapframe/analyzer"
)

// Bounds.
const (
	// MaxLine caps a protocol line; the rest of a longer line is skipped (noted).
	MaxLine = 8 << 10
	// MaxPending caps the credentials of one connection waiting for their server's reply (HTTP pipelining).
	MaxPending = 16
	maxReply   = 256
	// maxSecret caps a user name or password kept (longer ones are cut, noted): with MaxLine, MaxPending and the
	// driver's 4096 connections at once, the table holds at most about 40 KiB per connection.
	maxSecret  = 1024
	maxNotes   = 4
	maxLiteral = 4 << 10 // IMAP literal kept inside a LOGIN
	maxLits    = 4
)

const (
	client = 0
	server = 1
)

// Protocols of a connection.
const (
	protoNone = iota
	protoHTTP
	protoFTP
	protoSMTP
	protoPOP3
	protoIMAP
	protoIRC
	protoTelnet
	protoSMB
)

var protoNames = [...]string{protoHTTP: "http", protoFTP: "ftp", protoSMTP: "smtp", protoPOP3: "pop3", protoIMAP: "imap",
	protoIRC: "irc", protoTelnet: "telnet", protoSMB: "smb"}

// byPort is the protocol of a server port.
func byPort(p uint16) int {
	switch {
	case p == 21:
		return protoFTP
	case p == 25 || p == 587 || p == 2525:
		return protoSMTP
	case p == 110:
		return protoPOP3
	case p == 143:
		return protoIMAP
	case p == 23:
		return protoTelnet
	case p == 194 || p >= 6660 && p <= 6669 || p == 7000:
		return protoIRC
	case p == 445 || p == 139:
		return protoSMB
	}
	return protoNone
}

// lineReader splits one direction into lines (LF-terminated, CR removed), bounded by MaxLine.
type lineReader struct {
	buf  []byte
	over bool  // skipping the rest of an over-long line
	skip int64 // bytes to pass over before the next line (an HTTP body)
}

// conn is the state of one TCP connection.
type conn struct {
	a                *Analyzer
	uid, communityID string
	orig, resp       netip.AddrPort
	start            int64
	proto            int
	decided          bool // the protocol is known (HTTP by the client's first line)
	dead             bool // nothing more to read: encrypted (STARTTLS), not the protocol, a gap
	lr               [2]lineReader
	frame, time      int64 // of the Data call being read
	pending          []*Row
	cur              *Row // a credential being put together (FTP USER, SASL, Telnet)
	notes            []string

	// per protocol
	multi        [2]string // FTP/SMTP: the code of a multi-line reply going on
	sasl         sasl
	starttls     bool   // STARTTLS, STLS or AUTH TLS asked: the next success ends the clear text
	dataAsked    bool   // SMTP: DATA sent, its reply not read yet
	data         bool   // SMTP: inside DATA
	imapTag      string // the tag of the IMAP command whose reply decides
	lits         [][]byte
	litLine      []byte
	litLeft      int
	http         httpState
	tn           telnet
	smb          smbState
	ircNick      string
	challenge    [8]byte // the last NTLM server challenge
	hasChallenge bool
}

func (c *conn) note(s string) {
	if len(c.notes) < maxNotes && !slices.Contains(c.notes, s) {
		c.notes = append(c.notes, s)
	}
}

// Analyzer builds the credentials table: it implements analyzer.Analyzer.
type Analyzer struct {
	emit  func(*Row) error
	conns map[string]*conn
	err   error
}

var (
	_ analyzer.Analyzer   = (*Analyzer)(nil)
	_ analyzer.StreamDone = (*handler)(nil)
)

// New returns an analyzer that calls emit with one row per credential. The row is reused after emit returns.
func New(emit func(*Row) error) *Analyzer {
	return &Analyzer{emit: emit, conns: map[string]*conn{}}
}

// Packet does nothing: credentials are read from the reassembled streams.
func (a *Analyzer) Packet(*analyzer.Packet) error { return nil }

// Stream returns the handler of a TCP connection: one on a port of a protocol the table reads, and any other
// whose client starts with an HTTP request line.
func (a *Analyzer) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	c := &conn{a: a, uid: strings.Clone(f.UID), communityID: strings.Clone(f.CommunityID), orig: f.Orig, resp: f.Resp,
		start: f.Start, proto: byPort(f.Resp.Port())}
	c.decided = c.proto != protoNone && c.proto != protoSMB
	a.conns[c.uid] = c
	return &handler{c: c}
}

type handler struct{ c *conn }

func (h *handler) Data(fromOrig bool, data []byte, frame, t int64) error {
	c := h.c
	if c.dead {
		return nil
	}
	d := server
	if fromOrig {
		d = client
	}
	c.frame, c.time = frame, t
	if c.proto == protoSMB {
		c.smbData(d, data)
		return c.a.err
	}
	if c.proto == protoTelnet {
		c.telnetData(d, data)
		return c.a.err
	}
	if !c.decided {
		if d == server {
			return nil // HTTP is told by the client's first line
		}
		if !looksHTTP(data) {
			c.dead = true
			return nil
		}
		c.proto, c.decided = protoHTTP, true
	}
	c.read(d, data)
	return c.a.err
}

func (h *handler) Gap(fromOrig bool, n int64, _, _ int64) error {
	c := h.c
	if !c.dead && c.decided {
		c.note("gap in the capture: the rest of the connection is not read")
	}
	c.dead = true
	return nil
}

func (h *handler) End() error { return nil }

// Done reports that the connection needs no more data.
func (h *handler) Done() bool { return h.c.dead }

// read splits data of one side into lines for the protocol.
func (c *conn) read(d int, b []byte) {
	lr := &c.lr[d]
	for len(b) > 0 && !c.dead {
		if lr.skip > 0 {
			n := int(min(lr.skip, int64(len(b))))
			lr.skip -= int64(n)
			b = b[n:]
			continue
		}
		if d == client && c.litLeft > 0 { // an IMAP literal: raw bytes inside the command
			n := min(c.litLeft, len(b))
			if len(c.lits) > 0 {
				l := &c.lits[len(c.lits)-1]
				*l = append(*l, b[:min(n, maxLiteral-len(*l))]...)
			}
			c.litLeft -= n
			b = b[n:]
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if !lr.over {
				if len(lr.buf)+len(b) > MaxLine {
					c.note("line over 8192 bytes cut")
					lr.buf = append(lr.buf, b[:MaxLine-len(lr.buf)]...)
					lr.over = true
				} else {
					lr.buf = append(lr.buf, b...)
				}
			}
			return
		}
		var line []byte
		if lr.over {
			line = lr.buf
		} else if len(lr.buf) > 0 {
			if len(lr.buf)+i > MaxLine {
				c.note("line over 8192 bytes cut")
				i2 := MaxLine - len(lr.buf)
				lr.buf = append(lr.buf, b[:i2]...)
			} else {
				lr.buf = append(lr.buf, b[:i]...)
			}
			line = lr.buf
		} else {
			line = b[:min(i, MaxLine)]
			if i > MaxLine {
				c.note("line over 8192 bytes cut")
			}
		}
		b = b[i+1:]
		lr.over = false
		line = bytes.TrimSuffix(line, []byte{'\r'})
		c.line(d, line)
		lr.buf = lr.buf[:0]
		if cap(lr.buf) > 2*MaxLine {
			lr.buf = nil
		}
	}
}

// line hands one line to the connection's protocol.
func (c *conn) line(d int, l []byte) {
	switch c.proto {
	case protoHTTP:
		c.httpLine(d, l)
	case protoFTP:
		c.ftpLine(d, l)
	case protoSMTP:
		c.smtpLine(d, l)
	case protoPOP3:
		c.pop3Line(d, l)
	case protoIMAP:
		c.imapLine(d, l)
	case protoIRC:
		c.ircLine(d, l)
	}
}

// newRow starts a credential of the connection.
func (c *conn) newRow(mechanism string) *Row {
	return &Row{TS: c.time, UID: c.uid, CommunityID: c.communityID, OrigH: c.orig.Addr(), OrigP: c.orig.Port(),
		RespH: c.resp.Addr(), RespP: c.resp.Port(), Protocol: protoNames[c.proto], Mechanism: mechanism}
}

// cut bounds a user name or password.
func cut(s string) string {
	if len(s) > maxSecret {
		return s[:maxSecret]
	}
	return s
}

func (r *Row) user(s string, frame int64) {
	r.Username, r.HasUsername = cut(s), true
	r.Frames = append(r.Frames, frame)
}

func (r *Row) pass(s, kind string, frame int64, t int64) {
	r.Password, r.HasPassword, r.SecretType = cut(s), true, kind
	if n := len(r.Frames); n == 0 || r.Frames[n-1] != frame {
		r.Frames = append(r.Frames, frame)
	}
	r.TS = t
}

// wait queues a complete credential for the server's reply; past MaxPending the oldest is emitted undecided.
func (c *conn) wait(r *Row) {
	if r.SecretType == "" {
		r.SecretType = "none"
	}
	if len(r.Username) == maxSecret || len(r.Password) == maxSecret {
		r.Note = strings.TrimPrefix(r.Note+"; user name or password cut at 1024 bytes", "; ")
	}
	if len(c.pending) >= MaxPending {
		c.flush(c.pending[0])
		c.pending = c.pending[1:]
	}
	c.pending = append(c.pending, r)
}

// reply decides the oldest waiting credential.
func (c *conn) reply(ok bool, line []byte) {
	if len(c.pending) == 0 {
		return
	}
	r := c.pending[0]
	c.pending = c.pending[1:]
	r.HasAccepted, r.Accepted = true, ok
	r.Reply = string(line[:min(len(line), maxReply)])
	c.flush(r)
}

// flush emits a row.
func (c *conn) flush(r *Row) {
	if c.a.err != nil {
		return
	}
	if len(c.notes) > 0 {
		r.Note = strings.Join(c.notes, "; ")
	}
	if r.SecretType == "" {
		r.SecretType = "none"
	}
	if len(r.Username) == maxSecret || len(r.Password) == maxSecret {
		r.Note = strings.TrimPrefix(r.Note+"; user name or password cut at 1024 bytes", "; ")
	}
	c.a.err = c.a.emit(r)
}

// end emits what the connection still holds.
func (c *conn) end() {
	if c.cur != nil && (c.cur.HasUsername || c.cur.HasPassword) {
		c.wait(c.cur)
	}
	c.cur = nil
	if c.proto == protoTelnet {
		c.telnetVerdict(true)
	}
	if c.proto == protoHTTP {
		if c.http.row != nil {
			c.flush(c.http.row)
			c.http.row = nil
		}
		for _, o := range c.http.queue {
			if o.row != nil {
				c.flush(o.row)
			}
		}
		c.http.queue = nil
	}
	for _, r := range c.pending {
		c.flush(r)
	}
	c.pending = nil
}

// FlowEnd emits the credentials of the flow still waiting and forgets it.
func (a *Analyzer) FlowEnd(f *analyzer.Flow) error {
	c := a.conns[f.UID]
	if c == nil {
		return nil
	}
	delete(a.conns, f.UID)
	c.end()
	return a.err
}

// Close emits the credentials of flows that never ended (the driver ends every flow first, so normally none).
func (a *Analyzer) Close() error {
	left := make([]*conn, 0, len(a.conns))
	for _, c := range a.conns {
		left = append(left, c)
	}
	slices.SortFunc(left, func(x, y *conn) int {
		if x.start != y.start {
			return cmp.Compare(x.start, y.start)
		}
		return strings.Compare(x.uid, y.uid)
	})
	clear(a.conns)
	for _, c := range left {
		c.end()
	}
	return a.err
}
