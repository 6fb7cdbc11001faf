package files

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/pcapframe/pcapframe/analyzer/http"
)

// Bounds of the SMTP reader.
const (
	maxLine        = 4 << 10   // a command line longer than this is cut (RFC 5321 §4.5.3.1.4: 512 with the CRLF)
	maxMIMEHeader  = 256 << 10 // bytes of a message's top-level header section
	maxMIMEDepth   = 8         // multipart levels followed
	maxMIMEParts   = http.MaxParts
	maxProbeLines  = 4 // client lines read before a connection that never said HELO/EHLO is given up
	smtpSource     = "SMTP"
	errHeaderLarge = "header section over 256 KiB"
)

// lineReader splits one direction of a stream into lines (LF-terminated, CR kept), holding at most maxLine bytes
// of a line; the rest of a longer line is dropped (the line is marked cut).
type lineReader struct {
	buf []byte
	cut bool
}

// next calls fn with each complete line in b (with its line end); it returns false as soon as fn does.
func (l *lineReader) feed(b []byte, fn func(line []byte, cut bool) bool) bool {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.add(b)
			return true
		}
		l.add(b[:i+1])
		b = b[i+1:]
		line, cut := l.buf, l.cut
		l.buf, l.cut = l.buf[:0], false
		if !fn(line, cut) {
			return false
		}
	}
	return true
}

func (l *lineReader) add(b []byte) {
	room := maxLine - len(l.buf)
	if len(b) > room {
		b = b[:room]
		l.cut = true
	}
	l.buf = append(l.buf, b...)
}

// reset drops a partial line (after a gap).
func (l *lineReader) reset() { l.buf, l.cut = l.buf[:0], false }

// smtpConn reads the messages a client sends with DATA (RFC 5321 §4.1.1.4): each message's MIME entities
// (RFC 2045/2046: multipart bodies split, base64 and quoted-printable decoded) become objects.
type smtpConn struct {
	c        *conn
	client   lineReader
	server   lineReader
	greeted  bool // the server's first line was a 220 greeting
	helo     bool // the client said HELO, EHLO or LHLO
	lines    int
	inData   bool
	messages int
	stage    *http.Stage
	msgTime  int64
	msgCut   bool // the message ended early (connection end, gap)
	part     int
	notes    []string
	pos      [2]int64 // frame and time of the bytes being handed to the MIME reader
}

func newSMTP(c *conn) *smtpConn { return &smtpConn{c: c} }

// data reads one run of bytes; false when the connection is not (or no longer) SMTP.
func (s *smtpConn) data(fromOrig bool, b []byte, frame, time int64) bool {
	s.pos = [2]int64{frame, time}
	if !fromOrig {
		if s.greeted || s.helo {
			return true
		}
		ok := true
		s.server.feed(b, func(line []byte, _ bool) bool {
			ok = len(line) >= 4 && string(line[:3]) == "220" && (line[3] == ' ' || line[3] == '-')
			s.greeted = ok
			return false
		})
		return ok
	}
	return s.client.feed(b, func(line []byte, cut bool) bool {
		if s.inData {
			return s.dataLine(line, frame, time)
		}
		s.lines++
		cmd := strings.ToUpper(string(bytes.TrimRight(line[:min(len(line), 10)], "\r\n")))
		verb, _, _ := strings.Cut(cmd, " ")
		switch {
		case verb == "HELO" || verb == "EHLO" || verb == "LHLO":
			s.helo = true
		case !s.helo && s.lines >= maxProbeLines, !s.helo && !s.greeted:
			return false
		case verb == "STARTTLS":
			return false // what follows is TLS
		case verb == "BDAT":
			return false // CHUNKING (RFC 3030) is not read
		case verb == "DATA":
			s.startMessage(time)
		}
		return true
	})
}

// dataLine handles one line of a message: the end ("." alone) or a line, dot-stuffing removed (RFC 5321
// §4.5.2).
func (s *smtpConn) dataLine(line []byte, frame, time int64) bool {
	if string(line) == ".\r\n" || string(line) == ".\n" {
		s.endMessage()
		return true
	}
	if len(line) > 0 && line[0] == '.' {
		line = line[1:]
	}
	s.stage.Write(line)
	return true
}

func (s *smtpConn) startMessage(time int64) {
	s.messages++
	s.inData, s.msgCut, s.part, s.msgTime, s.notes = true, false, 0, time, nil
	depth := s.messages
	s.stage = http.NewStage(func(r io.Reader) { s.walkMessage(r, depth) })
}

func (s *smtpConn) endMessage() {
	s.stage.Close()
	s.stage = nil
	s.inData = false
}

func (s *smtpConn) gap(fromOrig bool, n int64, frame, time int64) {
	if !fromOrig {
		s.server.reset()
		return
	}
	s.client.reset()
	if s.inData {
		s.msgCut = true
		s.note(strconv.FormatInt(n, 10) + " bytes of the message missing in the capture: the message was cut there")
		s.endMessage()
	}
}

func (s *smtpConn) end() {
	if s.inData {
		s.msgCut = true
		s.note("the connection ended inside the message")
		s.endMessage()
	}
}

func (s *smtpConn) note(n string) {
	if len(s.notes) < 8 {
		s.notes = append(s.notes, n)
	}
}

// headerCap passes a message through and fails when its header section runs past maxMIMEHeader bytes.
type headerCap struct {
	r    io.Reader
	n    int
	done bool
	last [4]byte
}

var errHeaderCap = errors.New(errHeaderLarge)

func (h *headerCap) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if !h.done {
		for _, c := range p[:n] {
			h.last = [4]byte{h.last[1], h.last[2], h.last[3], c}
			h.n++
			if h.last[2] == '\n' && h.last[3] == '\n' || h.last == [4]byte{'\r', '\n', '\r', '\n'} {
				h.done = true
				break
			}
		}
		if !h.done && h.n > maxMIMEHeader {
			return n, errHeaderCap
		}
	}
	return n, err
}

// walkMessage runs on the message's Stage: it reads the message and makes an object of each MIME leaf.
func (s *smtpConn) walkMessage(r io.Reader, depth int) {
	msg, err := mail.ReadMessage(bufio.NewReader(&headerCap{r: r}))
	if err != nil {
		s.note("message header: " + err.Error())
		io.Copy(io.Discard, r)
		return
	}
	s.entity(textproto.MIMEHeader(msg.Header), msg.Body, depth, 0, true)
	io.Copy(io.Discard, r)
}

// entity reads one MIME entity: a multipart body is split into its parts (at most maxMIMEDepth levels), a leaf
// becomes an object with its transfer encoding removed.
func (s *smtpConn) entity(h textproto.MIMEHeader, body io.Reader, depth, level int, top bool) {
	mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
		if level >= maxMIMEDepth {
			s.note("MIME nesting over " + strconv.Itoa(maxMIMEDepth) + " levels: the deeper parts were not split")
		} else {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					s.note("multipart: " + err.Error())
					return
				}
				if s.part >= maxMIMEParts {
					s.note("more than " + strconv.Itoa(maxMIMEParts) + " MIME parts: the rest were not read")
					return
				}
				s.entity(p.Header, p, depth, level+1, false)
			}
		}
	}
	part := 0
	if !top {
		s.part++
		part = s.part
	}
	o := s.c.newObject(smtpSource, true, depth, part, s.msgTime)
	o.row.DeclaredType = mt
	o.row.Filename = mimeFilename(h)
	var rd io.Reader = body
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		rd = base64.NewDecoder(base64.StdEncoding, &base64Clean{r: body})
	case "quoted-printable":
		rd = quotedprintable.NewReader(body)
	}
	w := objectWriter{o: o, s: s}
	_, err := io.Copy(w, rd)
	if err != nil {
		o.note("decoding: " + err.Error())
		io.Copy(io.Discard, body)
	}
	for _, n := range s.notes {
		o.note(n)
	}
	o.finish(err == nil && !s.msgCut)
}

// objectWriter writes a leaf's decoded bytes to its object, at the position of the bytes being read.
type objectWriter struct {
	o *object
	s *smtpConn
}

func (w objectWriter) Write(b []byte) (int, error) {
	w.o.write(b, w.s.pos[0], w.s.pos[1])
	return len(b), nil
}

// base64Clean drops the bytes base64 does not use (spaces, tabs; the decoder drops CR and LF itself), so that
// a line with a trailing space does not stop the decoding.
type base64Clean struct{ r io.Reader }

func (b *base64Clean) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != ' ' && c != '\t' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// mimeFilename returns the entity's file name: Content-Disposition's filename, else Content-Type's name, RFC 2047
// encoded words decoded.
func mimeFilename(h textproto.MIMEHeader) string {
	var name string
	if _, p, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
		name = p["filename"]
	}
	if name == "" {
		if _, p, err := mime.ParseMediaType(h.Get("Content-Type")); err == nil {
			name = p["name"]
		}
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
		name = dec
	}
	return name
}
