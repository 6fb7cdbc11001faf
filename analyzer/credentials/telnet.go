package credentials

import (
	"bytes"
)

// Telnet option processing (RFC 854, RFC 855).
const (
	iac  = 255
	sb   = 250
	se   = 240
	will = 251
	dont = 254
)

// Telnet login states.
const (
	tnIdle       = iota
	tnExpectUser // a login prompt was seen: the client's next line is the user
	tnExpectPass // a password prompt was seen: the client's next line is the password
	tnVerdict    // the password was sent: the server's next words decide
)

const (
	maxTail    = 128  // server text kept to look for prompts
	maxTNLine  = 256  // client line kept
	maxVerdict = 1024 // server text after a password kept to decide
)

// telnet is the state of a Telnet connection: IAC stripping per direction and the login heuristic.
type telnet struct {
	iacState [2]int // 0 data, 1 after IAC, 2 after IAC WILL/WONT/DO/DONT, 3 in SB, 4 in SB after IAC
	tail     []byte
	line     []byte
	lastCR   bool
	state    int
	after    []byte
	text     []byte // scratch: the data of one call without Telnet commands
}

// strip removes Telnet commands (IAC sequences, option negotiation, subnegotiation) from b, keeping IAC IAC as
// one 255 byte; the state carries over between calls.
func (t *telnet) strip(d int, b []byte) []byte {
	out := t.text[:0]
	st := &t.iacState[d]
	for _, x := range b {
		switch *st {
		case 0:
			if x == iac {
				*st = 1
			} else {
				out = append(out, x)
			}
		case 1:
			switch {
			case x == iac:
				out = append(out, iac)
				*st = 0
			case x >= will && x <= dont:
				*st = 2
			case x == sb:
				*st = 3
			default:
				*st = 0
			}
		case 2:
			*st = 0
		case 3:
			if x == iac {
				*st = 4
			}
		case 4:
			if x == se {
				*st = 0
			} else {
				*st = 3
			}
		}
	}
	t.text = out
	return out
}

var (
	userPrompts = [][]byte{[]byte("login:"), []byte("username:"), []byte("user name:"), []byte("user:")}
	passPrompts = [][]byte{[]byte("password:"), []byte("passcode:"), []byte("passwd:")}
	failWords   = [][]byte{[]byte("incorrect"), []byte("failed"), []byte("denied"), []byte("invalid"), []byte("bad password")}
	okWords     = [][]byte{[]byte("last login"), []byte("welcome")}
)

func hasSuffixAny(b []byte, list [][]byte) bool {
	for _, s := range list {
		if bytes.HasSuffix(b, s) {
			return true
		}
	}
	return false
}

func containsAny(b []byte, list [][]byte) bool {
	for _, s := range list {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

// telnetData follows a Telnet login (see the package documentation).
func (c *conn) telnetData(d int, b []byte) {
	t := &c.tn
	text := t.strip(d, b)
	if d == server {
		if t.state == tnVerdict && len(t.after) < maxVerdict {
			t.after = append(t.after, bytes.ToLower(text[:min(len(text), maxVerdict-len(t.after))])...)
			if containsAny(t.after, failWords) {
				c.telnetDecide(false)
			}
		}
		t.tail = append(t.tail, bytes.ToLower(text)...)
		if len(t.tail) > maxTail {
			t.tail = append(t.tail[:0], t.tail[len(t.tail)-maxTail:]...)
		}
		end := bytes.TrimRight(t.tail, " \t\x00")
		switch {
		case hasSuffixAny(end, userPrompts):
			if t.state == tnVerdict {
				c.telnetDecide(false) // asked to log in again
			}
			t.state, t.tail = tnExpectUser, t.tail[:0]
		case hasSuffixAny(end, passPrompts):
			if t.state == tnVerdict {
				c.telnetDecide(false)
			}
			t.state, t.tail = tnExpectPass, t.tail[:0]
		}
		return
	}
	for _, x := range text {
		switch {
		case x == '\r' || x == '\n' && !t.lastCR:
			c.telnetLine()
		case x == '\n' || x == 0:
		case x == 8 || x == 127: // backspace, delete
			if len(t.line) > 0 {
				t.line = t.line[:len(t.line)-1]
			}
		default:
			if len(t.line) < maxTNLine {
				t.line = append(t.line, x)
			}
		}
		t.lastCR = x == '\r'
	}
}

// telnetLine handles a line the client completed.
func (c *conn) telnetLine() {
	t := &c.tn
	line := string(t.line)
	t.line = t.line[:0]
	switch t.state {
	case tnExpectUser:
		if c.cur != nil {
			c.wait(c.cur)
		}
		c.cur = c.newRow("login prompt")
		c.cur.user(line, c.frame)
		t.state = tnIdle
	case tnExpectPass:
		r := c.cur
		if r == nil {
			r = c.newRow("login prompt")
		}
		c.cur = nil
		r.pass(line, "cleartext", c.frame, c.time)
		c.wait(r)
		t.state, t.after = tnVerdict, t.after[:0]
	case tnVerdict:
		c.telnetVerdict(false)
	}
}

// telnetVerdict decides the password waiting from the server's words after it: failure words refuse it; when
// the client goes on typing without a new prompt (atEnd false), or the server greeted it or shows a shell prompt
// (atEnd true), it was accepted; otherwise it stays undecided.
func (c *conn) telnetVerdict(atEnd bool) {
	t := &c.tn
	if t.state != tnVerdict {
		return
	}
	after := bytes.TrimRight(t.after, " \t\r\n\x00")
	switch {
	case containsAny(after, failWords):
		c.telnetDecide(false)
	case !atEnd || containsAny(after, okWords) || len(after) > 0 && bytes.IndexByte([]byte("$#>%"), after[len(after)-1]) >= 0:
		c.telnetDecide(true)
	}
}

func (c *conn) telnetDecide(ok bool) {
	t := &c.tn
	t.state = tnIdle
	line := bytes.TrimSpace(t.after)
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	c.reply(ok, line)
}
