package credentials

import (
	"bytes"
	"strconv"
	"strings"
)

// HTTP message phases of one direction.
const (
	hStart   = iota // before a request or status line
	hHeaders        // reading headers
	hChunk          // reading a chunk-size line
	hTrailer        // reading the trailer of a chunked body
	hDead           // no longer followed (a body up to the close, a line that is no HTTP)
)

// maxOutstanding caps the requests waiting for their responses on one connection.
const maxOutstanding = 64

// outstanding is a request waiting for its response.
type outstanding struct {
	head bool // HEAD: its response has no body
	row  *Row // its credential, if any
}

// httpState follows HTTP/1.x message framing (RFC 9112) in both directions, to find each request's headers and
// the status of its response: bodies are passed over by their Content-Length or chunk sizes, without keeping
// them.
type httpState struct {
	phase      [2]int
	headers    [2]int
	clen       [2]int64
	chunked    [2]bool
	status     int
	statusLine string
	head       bool // the request being read is a HEAD
	row        *Row // the credential of the request being read
	queue      []outstanding
}

var methods = []string{"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ", "PROPFIND ", "PROPPATCH ",
	"MKCOL ", "COPY ", "MOVE ", "LOCK ", "UNLOCK ", "REPORT ", "SEARCH "}

// looksHTTP reports whether a client's first bytes start an HTTP request.
func looksHTTP(b []byte) bool {
	for _, m := range methods {
		if bytes.HasPrefix(b, []byte(m)) {
			return true
		}
	}
	return false
}

func (c *conn) httpLine(d int, l []byte) {
	h := &c.http
	switch h.phase[d] {
	case hDead:
		return
	case hStart:
		if len(l) == 0 {
			return // empty lines between messages (RFC 9112 §2.2)
		}
		h.headers[d], h.clen[d], h.chunked[d] = 0, -1, false
		if d == client {
			sp := bytes.IndexByte(l, ' ')
			if sp <= 0 || !bytes.Contains(l, []byte(" HTTP/1.")) {
				h.phase[d] = hDead
				c.dead = true // lost the framing: nothing more to find
				return
			}
			h.head = bytes.Equal(l[:sp], []byte("HEAD"))
			h.row = nil
		} else {
			if !bytes.HasPrefix(l, []byte("HTTP/1.")) || len(l) < 12 {
				h.phase[d] = hDead
				return
			}
			st, _ := parseDec(l[9:12])
			h.status = int(st)
			h.statusLine = ""
			if len(h.queue) > 0 && h.queue[0].row != nil {
				h.statusLine = string(l[:min(len(l), maxReply)])
			}
		}
		h.phase[d] = hHeaders
	case hHeaders:
		if len(l) == 0 {
			c.httpBody(d)
			return
		}
		if h.headers[d]++; h.headers[d] > 256 {
			c.note("more than 256 header lines: the rest of the connection is not read")
			h.phase[d] = hDead
			c.dead = d == client
			return
		}
		name, val, ok := bytes.Cut(l, []byte{':'})
		if !ok {
			return
		}
		val = bytes.TrimSpace(val)
		name = bytes.TrimSpace(name)
		is := func(s string) bool { return bytes.EqualFold(name, []byte(s)) }
		switch {
		case is("content-length"):
			if n, ok := parseDec(val); ok {
				h.clen[d] = n
			}
		case is("transfer-encoding"):
			h.chunked[d] = bytes.Contains(val, []byte("chunked")) || bytes.Contains(val, []byte("Chunked"))
		case is("authorization") || is("proxy-authorization"):
			if d == client {
				c.httpAuth(val)
			}
		case is("www-authenticate") || is("proxy-authenticate"):
			if d == server {
				scheme, rest, _ := bytes.Cut(val, []byte{' '})
				if s := strings.ToLower(string(scheme)); s == "ntlm" || s == "negotiate" {
					if b, ok := b64(rest); ok {
						c.ntlmChallenge(b)
					}
				}
			}
		}
	case hChunk:
		if len(l) == 0 {
			return // the CRLF after a chunk's data
		}
		size, _, _ := bytes.Cut(l, []byte{';'})
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			h.phase[d] = hDead
			c.dead = d == client
			return
		}
		if n == 0 {
			h.phase[d] = hTrailer
			return
		}
		c.lr[d].skip = n
	case hTrailer:
		if len(l) == 0 {
			h.phase[d] = hStart
		}
	}
}

// httpBody handles the end of a message's headers: the request is queued for its response, the response
// decides its request's credential; the body is passed over.
func (c *conn) httpBody(d int) {
	h := &c.http
	if d == client {
		if h.row != nil {
			h.row.TS = c.time
		}
		if len(h.queue) >= maxOutstanding {
			if r := h.queue[0].row; r != nil {
				c.flush(r)
			}
			h.queue = h.queue[1:]
		}
		if h.row != nil {
			// at most MaxPending credentials wait for their responses: the oldest goes undecided
			n := 0
			for i := range h.queue {
				if h.queue[i].row != nil {
					n++
				}
			}
			for i := range h.queue {
				if n < MaxPending {
					break
				}
				if r := h.queue[i].row; r != nil {
					c.flush(r)
					h.queue[i].row = nil
					n--
				}
			}
		}
		h.queue = append(h.queue, outstanding{head: h.head, row: h.row})
		h.row = nil
	} else {
		if h.status >= 100 && h.status < 200 {
			if h.status == 101 { // switching protocols: no more HTTP
				h.phase[d] = hDead
				c.dead = true
				return
			}
			h.phase[d] = hStart
			return
		}
		var o outstanding
		if len(h.queue) > 0 {
			o, h.queue = h.queue[0], h.queue[1:]
		}
		if r := o.row; r != nil {
			switch {
			case h.status > 0 && h.status < 400:
				r.HasAccepted, r.Accepted = true, true
			case h.status == 401 || h.status == 403 || h.status == 407:
				r.HasAccepted, r.Accepted = true, false
			}
			if r.HasAccepted {
				r.Reply = h.statusLine
			}
			c.flush(r)
		}
		if o.head || h.status == 204 || h.status == 304 {
			h.phase[d] = hStart
			return
		}
	}
	switch {
	case h.chunked[d]:
		h.phase[d] = hChunk
	case h.clen[d] > 0:
		c.lr[d].skip = h.clen[d]
		h.phase[d] = hStart
	case h.clen[d] == 0 || d == client:
		h.phase[d] = hStart
	default: // a response delimited by the close of the connection
		h.phase[d] = hDead
	}
}

// httpAuth reads an Authorization header's value: Basic (RFC 7617), Digest (RFC 7616), NTLM or Negotiate
// carrying NTLMSSP.
func (c *conn) httpAuth(val []byte) {
	scheme, rest, _ := bytes.Cut(val, []byte{' '})
	rest = bytes.TrimSpace(rest)
	switch strings.ToLower(string(scheme)) {
	case "basic":
		r := c.newRow("Basic")
		d, ok := b64(rest)
		if !ok {
			c.note("Basic credentials are not base64")
			r.Frames = append(r.Frames, c.frame)
			c.http.row = r
			return
		}
		user, pass, found := bytes.Cut(d, []byte{':'})
		r.user(string(user), c.frame)
		if found {
			r.pass(string(pass), "cleartext", c.frame, c.time)
		} else {
			c.note("Basic credentials without a colon")
		}
		c.http.row = r
	case "digest":
		r := c.newRow("Digest")
		if u, ok := digestParam(rest, "username"); ok {
			r.user(u, c.frame)
		}
		r.pass(string(rest), "http-digest", c.frame, c.time)
		c.http.row = r
	case "ntlm", "negotiate":
		d, ok := b64(rest)
		if !ok {
			return
		}
		n := len(c.pending)
		if c.ntlmMessage(d, "NTLM") && len(c.pending) > n {
			// the credential waits for this request's response, not for the connection's next reply
			c.http.row = c.pending[len(c.pending)-1]
			c.pending = c.pending[:len(c.pending)-1]
		}
	}
}

// digestParam returns the value of one auth-param of a Digest header (quoted-string or token).
func digestParam(s []byte, name string) (string, bool) {
	for len(s) > 0 {
		s = bytes.TrimLeft(s, " ,")
		k, rest, ok := bytes.Cut(s, []byte{'='})
		if !ok {
			return "", false
		}
		k = bytes.TrimSpace(k)
		rest = bytes.TrimLeft(rest, " ")
		var v []byte
		if len(rest) > 0 && rest[0] == '"' {
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				v = append(v, rest[i])
			}
			s = rest[min(i+1, len(rest)):]
		} else {
			end := bytes.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			v, s = bytes.TrimSpace(rest[:end]), rest[end:]
		}
		if strings.EqualFold(string(k), name) {
			return string(v), true
		}
	}
	return "", false
}

// parseDec reads a Content-Length value without allocating.
func parseDec(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
