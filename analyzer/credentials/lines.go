package credentials

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
)

// command splits a client line into its upper-cased first word and the rest (leading spaces removed).
func command(l []byte) (string, []byte) {
	i := bytes.IndexByte(l, ' ')
	if i < 0 {
		return strings.ToUpper(string(l[:min(len(l), 32)])), nil
	}
	return strings.ToUpper(string(l[:min(i, 32)])), bytes.TrimLeft(l[i+1:], " ")
}

// replyCode reads an FTP or SMTP reply line (RFC 959 §4.2, RFC 5321 §4.2): its three-digit code, and whether the
// line ends the reply (the last line of a multi-line reply, or a single line). multi holds the code of a
// multi-line reply going on.
func replyCode(multi *string, l []byte) (code string, final bool) {
	if len(l) < 3 || !isDigit(l[0]) || !isDigit(l[1]) || !isDigit(l[2]) {
		return "", false
	}
	code = string(l[:3])
	if *multi != "" {
		if code == *multi && (len(l) == 3 || l[3] == ' ') {
			*multi = ""
			return code, true
		}
		return "", false
	}
	if len(l) > 3 && l[3] == '-' {
		*multi = code
		return "", false
	}
	return code, true
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// b64 decodes standard base64, tolerating missing padding.
func b64(s []byte) ([]byte, bool) {
	s = bytes.TrimSpace(s)
	if d, err := base64.StdEncoding.DecodeString(string(s)); err == nil {
		return d, true
	}
	d, err := base64.RawStdEncoding.DecodeString(string(bytes.TrimRight(s, "=")))
	return d, err == nil
}

// sasl follows a SASL exchange (RFC 4422) inside SMTP AUTH, POP3 AUTH or IMAP AUTHENTICATE: the client's
// responses and the server's challenges, base64 lines.
type sasl struct {
	mech      string // PLAIN, LOGIN, CRAM-MD5, NTLM; "" when no exchange is going on
	step      int
	row       *Row
	challenge []byte // the server's last challenge, decoded
	chalB64   string
}

// saslStart begins an exchange with the mechanism named by the client and its initial response, if any.
func (c *conn) saslStart(mech string, initial []byte) {
	mech = strings.ToUpper(mech)
	switch mech {
	case "PLAIN", "LOGIN", "CRAM-MD5", "NTLM":
	default:
		c.sasl = sasl{}
		return
	}
	c.sasl = sasl{mech: mech, row: c.newRow("AUTH " + mech)}
	if len(initial) > 0 && !bytes.Equal(initial, []byte("=")) {
		c.saslResponse(initial)
	}
}

// saslResponse reads one base64 response of the client.
func (c *conn) saslResponse(l []byte) {
	s := &c.sasl
	if bytes.Equal(bytes.TrimSpace(l), []byte("*")) {
		*s = sasl{} // cancelled (RFC 4422 §3.5)
		return
	}
	d, ok := b64(l)
	if !ok {
		c.note("SASL response is not base64")
		*s = sasl{}
		return
	}
	r := s.row
	switch s.mech {
	case "PLAIN": // authzid NUL authcid NUL passwd (RFC 4616 §2)
		parts := bytes.SplitN(d, []byte{0}, 3)
		if len(parts) != 3 {
			c.note("AUTH PLAIN message without its two NUL separators")
			*s = sasl{}
			return
		}
		r.user(string(parts[1]), c.frame)
		if len(parts[0]) > 0 && !bytes.Equal(parts[0], parts[1]) {
			c.note("authorization identity " + strconv.Quote(string(parts[0])))
		}
		r.pass(string(parts[2]), "cleartext", c.frame, c.time)
		c.wait(r)
		*s = sasl{mech: "done"}
	case "LOGIN": // the user, then the password, each asked for by a challenge
		wantPass := s.step > 0 || bytes.Contains(bytes.ToLower(s.challenge), []byte("pass"))
		if !wantPass {
			r.user(string(d), c.frame)
			s.step = 1
			return
		}
		r.pass(string(d), "cleartext", c.frame, c.time)
		c.wait(r)
		*s = sasl{mech: "done"}
	case "CRAM-MD5": // "user SP digest" (RFC 2195 §2), against the server's challenge
		user, digest, _ := bytes.Cut(d, []byte{' '})
		r.user(string(user), c.frame)
		r.pass("$cram_md5$"+s.chalB64+"$"+base64.StdEncoding.EncodeToString(d), "cram-md5", c.frame, c.time)
		if len(digest) != 32 {
			c.note("CRAM-MD5 digest is not 32 hex digits")
		}
		c.wait(r)
		*s = sasl{mech: "done"}
	case "NTLM":
		if c.ntlmMessage(d, "AUTH NTLM") {
			*s = sasl{mech: "done"}
		}
	}
}

// saslChallenge reads one base64 challenge of the server.
func (c *conn) saslChallenge(l []byte) {
	s := &c.sasl
	if s.mech == "" || s.mech == "done" {
		return
	}
	d, ok := b64(l)
	if !ok {
		return
	}
	s.challenge = d[:min(len(d), 512)]
	s.chalB64 = string(bytes.TrimSpace(l[:min(len(l), 1024)]))
	if s.mech == "NTLM" {
		c.ntlmChallenge(d)
	}
}

// ftpLine reads FTP (RFC 959): USER and PASS, decided by the reply to PASS (230 accepted, 4yz/5yz refused), or
// by the reply to USER when no password follows.
func (c *conn) ftpLine(d int, l []byte) {
	if d == client {
		cmd, arg := command(l)
		switch cmd {
		case "USER":
			if c.cur != nil {
				c.wait(c.cur)
			}
			c.cur = c.newRow("USER/PASS")
			c.cur.user(string(arg), c.frame)
		case "PASS":
			r := c.cur
			if r == nil {
				r = c.newRow("USER/PASS")
			}
			c.cur = nil
			r.pass(string(arg), "cleartext", c.frame, c.time)
			c.wait(r)
		case "AUTH":
			c.starttls = true // AUTH TLS/SSL (RFC 4217): encrypted after a 234
		}
		return
	}
	code, final := replyCode(&c.multi[d], l)
	if !final {
		return
	}
	c.decide(code, l, "23")
}

// decide applies a final FTP or SMTP reply: a code starting with ok accepts the waiting credential (or the
// user alone, when no password came), 4 or 5 refuses it; 234 or 220 after AUTH TLS or STARTTLS ends the clear
// text.
func (c *conn) decide(code string, l []byte, ok string) {
	if c.starttls {
		c.starttls = false
		if code == "234" || code == "220" {
			c.end()
			c.dead = true
			return
		}
	}
	switch {
	case strings.HasPrefix(code, ok):
		if len(c.pending) == 0 && c.cur != nil && c.proto == protoFTP {
			c.wait(c.cur) // a user let in without a password
			c.cur = nil
		}
		c.reply(true, l)
	case code[0] == '4' || code[0] == '5':
		if len(c.pending) == 0 && c.cur != nil && c.proto == protoFTP {
			c.wait(c.cur) // a user refused before any password
			c.cur = nil
		}
		c.reply(false, l)
	}
}

// smtpLine reads SMTP AUTH (RFC 4954): 334 challenges, 235 accepted, 535 and other 4yz/5yz refused; DATA
// content is skipped and STARTTLS ends the clear text.
func (c *conn) smtpLine(d int, l []byte) {
	if d == client {
		if c.data {
			if bytes.Equal(l, []byte(".")) {
				c.data = false
			}
			return
		}
		if c.sasl.mech != "" && c.sasl.mech != "done" {
			c.saslResponse(l)
			return
		}
		cmd, arg := command(l)
		switch cmd {
		case "AUTH":
			mech, initial, _ := bytes.Cut(arg, []byte{' '})
			c.saslStart(string(mech), initial)
		case "STARTTLS":
			c.starttls = true
		case "DATA":
			c.dataAsked = true
		}
		return
	}
	code, final := replyCode(&c.multi[d], l)
	if !final {
		return
	}
	if c.dataAsked {
		c.dataAsked = false
		c.data = code == "354"
		return
	}
	if code == "334" {
		c.saslChallenge(bytes.TrimSpace(l[3:]))
		return
	}
	if c.sasl.mech != "" {
		c.sasl = sasl{}
		c.decide(code, l, "23")
		return
	}
	if c.starttls {
		c.decide(code, l, "23")
	}
}

// pop3Line reads POP3 (RFC 1939, RFC 5034): USER/PASS, APOP, AUTH; +OK accepts, -ERR refuses; STLS ends the
// clear text.
func (c *conn) pop3Line(d int, l []byte) {
	if d == client {
		if c.sasl.mech != "" && c.sasl.mech != "done" {
			c.saslResponse(l)
			return
		}
		cmd, arg := command(l)
		switch cmd {
		case "USER":
			if c.cur != nil {
				c.wait(c.cur)
			}
			c.cur = c.newRow("USER/PASS")
			c.cur.user(string(arg), c.frame)
		case "PASS":
			r := c.cur
			if r == nil {
				r = c.newRow("USER/PASS")
			}
			c.cur = nil
			r.pass(string(arg), "cleartext", c.frame, c.time)
			c.wait(r)
		case "APOP": // name SP digest (RFC 1939 §7): MD5 of the greeting's timestamp and the secret
			name, digest, _ := bytes.Cut(arg, []byte{' '})
			r := c.newRow("APOP")
			r.user(string(name), c.frame)
			r.pass(string(bytes.TrimSpace(digest)), "apop-md5", c.frame, c.time)
			c.wait(r)
		case "AUTH":
			mech, initial, _ := bytes.Cut(arg, []byte{' '})
			c.saslStart(string(mech), initial)
		case "STLS":
			c.starttls = true
		}
		return
	}
	switch {
	case bytes.HasPrefix(l, []byte("+OK")):
		if c.starttls {
			c.end()
			c.dead = true
			return
		}
		c.sasl = sasl{}
		c.reply(true, l)
	case bytes.HasPrefix(l, []byte("-ERR")):
		c.starttls = false
		c.sasl = sasl{}
		if len(c.pending) == 0 && c.cur != nil {
			c.wait(c.cur)
			c.cur = nil
		}
		c.reply(false, l)
	case len(l) > 0 && l[0] == '+':
		c.saslChallenge(bytes.TrimSpace(l[1:]))
	}
}

// imapLine reads IMAP (RFC 3501, RFC 9051): "tag LOGIN user password" (atoms, quoted strings or literals) and
// "tag AUTHENTICATE mechanism", decided by the tagged OK, NO or BAD; STARTTLS ends the clear text.
func (c *conn) imapLine(d int, l []byte) {
	if d == client {
		if c.sasl.mech != "" && c.sasl.mech != "done" {
			c.saslResponse(l)
			return
		}
		// A line that ends with a literal's {n} continues after the literal's n bytes (RFC 3501 §4.3).
		if n, ok := literalAt(l); ok {
			if len(c.litLine)+len(l) > MaxLine || len(c.lits) >= maxLits {
				c.note("IMAP command with too many literals")
				c.litLine, c.lits = c.litLine[:0], nil
				c.litLeft = n
				return
			}
			c.litLine = append(c.litLine, l...)
			c.litLine = append(c.litLine, '\n') // marks where the literal's bytes go
			c.lits = append(c.lits, nil)
			c.litLeft = n
			return
		}
		full := l
		if len(c.litLine) > 0 {
			full = append(c.litLine, l...)
		}
		toks := imapTokens(full, c.lits)
		c.litLine, c.lits = c.litLine[:0], nil
		if len(toks) < 2 {
			return
		}
		tag, cmd := toks[0], strings.ToUpper(toks[1])
		switch cmd {
		case "LOGIN":
			if len(toks) < 4 {
				c.note("IMAP LOGIN without user and password")
				return
			}
			r := c.newRow("LOGIN")
			r.user(toks[2], c.frame)
			r.pass(toks[3], "cleartext", c.frame, c.time)
			c.imapTag = tag
			c.wait(r)
		case "AUTHENTICATE":
			if len(toks) < 3 {
				return
			}
			c.imapTag = tag
			initial := ""
			if len(toks) > 3 {
				initial = toks[3]
			}
			c.saslStart(toks[2], []byte(initial))
		case "STARTTLS":
			c.imapTag = tag
			c.starttls = true
		}
		return
	}
	if len(l) > 0 && l[0] == '+' {
		c.saslChallenge(bytes.TrimSpace(l[1:]))
		return
	}
	tag, rest, _ := bytes.Cut(l, []byte{' '})
	if c.imapTag == "" || string(tag) != c.imapTag {
		return
	}
	c.imapTag = ""
	status, _, _ := bytes.Cut(rest, []byte{' '})
	ok := strings.EqualFold(string(status), "OK")
	if c.starttls {
		c.starttls = false
		if ok {
			c.end()
			c.dead = true
		}
		return
	}
	c.sasl = sasl{}
	if ok || strings.EqualFold(string(status), "NO") || strings.EqualFold(string(status), "BAD") {
		c.reply(ok, l)
	}
}

// literalAt reports whether a line ends with an IMAP literal's announcement {n} or {n+}, and n.
func literalAt(l []byte) (int, bool) {
	if len(l) < 3 || l[len(l)-1] != '}' {
		return 0, false
	}
	i := bytes.LastIndexByte(l, '{')
	if i < 0 {
		return 0, false
	}
	num := bytes.TrimSuffix(l[i+1:len(l)-1], []byte("+"))
	n, err := strconv.Atoi(string(num))
	if err != nil || n < 0 || n > 1<<30 {
		return 0, false
	}
	return n, true
}

// imapTokens splits an IMAP command into at most 8 tokens: atoms, quoted strings (\" and \\ unescaped) and
// literals ({n} followed by '\n' in line, their bytes in lits, in order).
func imapTokens(l []byte, lits [][]byte) []string {
	var toks []string
	for len(l) > 0 && len(toks) < 8 {
		switch l[0] {
		case ' ':
			l = l[1:]
		case '"':
			var s []byte
			i := 1
			for ; i < len(l) && l[i] != '"'; i++ {
				if l[i] == '\\' && i+1 < len(l) {
					i++
				}
				s = append(s, l[i])
			}
			toks = append(toks, string(s))
			l = l[min(i+1, len(l)):]
		case '{':
			end := bytes.IndexByte(l, '\n')
			if end < 0 {
				toks = append(toks, string(l))
				return toks
			}
			lit := []byte(nil)
			if len(lits) > 0 {
				lit, lits = lits[0], lits[1:]
			}
			toks = append(toks, string(lit))
			l = l[end+1:]
		default:
			i := bytes.IndexByte(l, ' ')
			if i < 0 {
				i = len(l)
			}
			toks = append(toks, string(l[:i]))
			l = l[i:]
		}
	}
	return toks
}

// ircLine reads IRC (RFC 2812 §3.1): PASS, then NICK and USER; the welcome (001) accepts, 464
// (ERR_PASSWDMISMATCH) refuses. "PRIVMSG NickServ :IDENTIFY [account] password" is a credential too.
func (c *conn) ircLine(d int, l []byte) {
	if d == client {
		cmd, arg := command(l)
		switch cmd {
		case "PASS":
			c.cur = c.newRow("PASS")
			c.cur.pass(string(bytes.TrimPrefix(arg, []byte(":"))), "cleartext", c.frame, c.time)
		case "NICK":
			c.ircNick = string(bytes.TrimPrefix(bytes.TrimSpace(arg), []byte(":")))
			if c.cur != nil {
				c.cur.Username, c.cur.HasUsername = c.ircNick, true
				c.wait(c.cur)
				c.cur = nil
			}
		case "PRIVMSG":
			target, msg, _ := bytes.Cut(arg, []byte{' '})
			msg = bytes.TrimPrefix(msg, []byte(":"))
			if !strings.EqualFold(string(target), "NickServ") {
				return
			}
			verb, rest := command(msg)
			if verb != "IDENTIFY" {
				return
			}
			r := c.newRow("NickServ IDENTIFY")
			acct, pw, two := bytes.Cut(rest, []byte{' '})
			if two {
				r.user(string(acct), c.frame)
			} else {
				pw = acct
				if c.ircNick != "" {
					r.Username, r.HasUsername = c.ircNick, true
				}
			}
			r.pass(string(pw), "cleartext", c.frame, c.time)
			c.flush(r) // NickServ answers in a NOTICE whose wording varies: not decided
		}
		return
	}
	// ":prefix NUMERIC target ..." or "NUMERIC target ..."
	f := bytes.Fields(l[:min(len(l), 512)])
	if len(f) > 1 && len(f[0]) > 0 && f[0][0] == ':' {
		f = f[1:]
	}
	if len(f) == 0 {
		return
	}
	switch string(f[0]) {
	case "001":
		if c.cur != nil {
			c.wait(c.cur)
			c.cur = nil
		}
		c.reply(true, l)
	case "464":
		if c.cur != nil {
			c.wait(c.cur)
			c.cur = nil
		}
		c.reply(false, l)
	}
}
