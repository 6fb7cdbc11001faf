package tls

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"

	"github.com/pcapframe/pcapframe/analyzer/tls/quic"
)

// MaxHandshake caps the bytes of one handshake message buffered per direction (and, for QUIC, the CRYPTO stream
// bytes buffered per direction): a longer message (a huge certificate chain) is skipped with a note. With the
// record header, the alert bytes and the QUIC buffers, a connection holds at most about 4 × 64 KiB while its
// handshake is parsed, and nothing once it is done.
const MaxHandshake = 64 << 10

// maxNotes caps the distinct notes kept per row.
const maxNotes = 8

// Record content types (RFC 8446 §5.1; heartbeat RFC 6520).
const (
	recChangeCipherSpec = 20
	recAlert            = 21
	recHandshake        = 22
	recApplicationData  = 23
	recHeartbeat        = 24
)

const (
	client = 0 // the originator's side
	server = 1
)

// recState is the record-layer parser of one direction of a TLS connection over TCP.
type recState struct {
	hdr      [5]byte
	hdrN     int
	rem      int // body bytes of the current record still to come
	recLen   int
	typ      byte
	alert    [2]byte
	alertN   int
	records  int // complete record headers read
	v2       bool
	quiet    bool // resume without a note
	discard  bool // the rest of this handshake record follows a gap that cut messages: skip it
	lost     bool // out of step (a bad header, a gap): waiting for a segment that starts with a record header
	finished bool // a handshake record after this side's ChangeCipherSpec (its encrypted Finished)
	ccs      bool
	appData  int // application_data records
}

// hsBuf reassembles the handshake messages of one direction across records (TLS) or CRYPTO frames (QUIC).
type hsBuf struct {
	buf  []byte
	skip int // bytes of an oversized message still to skip
}

// cryptoStream reassembles the CRYPTO frames of one direction of a QUIC connection's Initial packets.
type cryptoStream struct {
	buf       []byte
	ranges    [][2]int // received byte ranges, sorted and merged
	delivered int
	capped    bool
}

type quicState struct {
	version uint32
	dcid    []byte // the connection id the Initial keys come from
	keys    [2]*quic.Keys
	largest [2]int64
	crypto  [2]cryptoStream
	short   [2]bool // a 1-RTT (short header) packet was seen from this side
	opened  bool    // an Initial packet decrypted
}

// conn is the state of one TCP connection or QUIC conversation.
type conn struct {
	uid, communityID string
	orig, resp       netip.AddrPort
	start            int64
	isQUIC           bool

	ch               *clientHello
	sh               *serverHello
	chFrame, shFrame int64
	pending          [2]uint8  // hellos whose record has not ended yet (TLS over TCP): their frame is the record's last
	cert             *certInfo // the server's leaf certificate (TLS <= 1.2)
	chainFPs         []string  // SHA-256 of each certificate of the server's chain
	curve            uint16    // from the ServerKeyExchange (TLS <= 1.2 ECDHE)
	hasSKECurve      bool
	sawCert, sawDone bool
	resumed          bool
	established      bool
	lastAlert        int // -1 when none
	dead             bool
	clear            int // client segments of clear text seen (0: none, or TLS started)
	notes            []string

	rec [2]recState
	hs  [2]hsBuf
	q   *quicState
}

func (c *conn) note(s string) {
	for _, n := range c.notes {
		if n == s {
			return
		}
	}
	if len(c.notes) < maxNotes {
		c.notes = append(c.notes, s)
	}
}

// recognised reports whether the conversation was seen to be TLS or QUIC.
func (c *conn) recognised() bool {
	if c.isQUIC {
		return c.q != nil && c.q.opened
	}
	return c.ch != nil || c.sh != nil
}

// --- handshake messages ---

// feed reassembles handshake messages from data and hands each complete one to c.message.
func (h *hsBuf) feed(c *conn, dir int, data []byte, frame int64) {
	for len(data) > 0 {
		if h.skip > 0 {
			n := min(h.skip, len(data))
			h.skip -= n
			data = data[n:]
			continue
		}
		if len(h.buf) < 4 {
			n := min(4-len(h.buf), len(data))
			h.buf = append(h.buf, data[:n]...)
			data = data[n:]
			if len(h.buf) < 4 {
				return
			}
		}
		l := int(h.buf[1])<<16 | int(h.buf[2])<<8 | int(h.buf[3])
		if l > MaxHandshake-4 {
			c.note(fmt.Sprintf("handshake message type %d of %d bytes over the 64 KiB cap: skipped", h.buf[0], l))
			h.skip = l
			h.buf = h.buf[:0]
			continue
		}
		n := min(4+l-len(h.buf), len(data))
		h.buf = append(h.buf, data[:n]...)
		data = data[n:]
		if len(h.buf) == 4+l {
			c.message(dir, h.buf[0], h.buf[4:], frame)
			h.buf = h.buf[:0]
		}
	}
}

// message handles one complete handshake message (body without its 4-byte header).
func (c *conn) message(dir int, typ byte, body []byte, frame int64) {
	switch typ {
	case msgClientHello:
		if c.ch != nil {
			if c.sh == nil || !c.sh.hrr {
				c.note("second client hello (renegotiation) ignored")
			}
			return
		}
		ch, err := parseClientHello(body)
		if err != nil {
			c.note("client hello: " + err.Error())
			return
		}
		c.ch, c.chFrame = ch, frame
		if !c.isQUIC {
			c.pending[dir] |= pendingCH
		}
		for _, n := range ch.notes {
			c.note(n)
		}
	case msgServerHello:
		if c.sh != nil && !c.sh.hrr {
			c.note("second server hello (renegotiation) ignored")
			return
		}
		sh, err := parseServerHello(body)
		if err != nil {
			c.note("server hello: " + err.Error())
			return
		}
		if sh.hrr {
			c.note("hello retry request")
		}
		c.sh, c.shFrame = sh, frame
		if !c.isQUIC {
			c.pending[dir] |= pendingSH
		}
		for _, n := range sh.notes {
			c.note(n)
		}
		if c.ch != nil && len(c.ch.sessionID) > 0 && bytes.Equal(c.ch.sessionID, sh.sessionID) && sh.version <= 0x0303 {
			c.resumed = true // the server accepted the session id (TLS <= 1.2)
		}
		if sh.psk {
			c.resumed = true // TLS 1.3 pre-shared key accepted
		}
	case msgCertificate:
		if dir != server || c.sawCert {
			return
		}
		c.sawCert = true
		certs, err := parseCertificateList(body)
		if err != nil {
			c.note("certificate message: " + err.Error())
		}
		// Described at once, so that the connection keeps no certificate bytes.
		for _, der := range certs {
			c.chainFPs = append(c.chainFPs, fingerprint(der))
		}
		if len(certs) > 0 {
			ci := c.leaf(certs[0])
			c.cert = &ci
		}
	case msgServerKeyExchange:
		if dir == server && c.sh != nil && strings.Contains(cipherName(c.sh.cipher), "ECDHE") && len(body) >= 3 && body[0] == 3 {
			c.curve, c.hasSKECurve = binary.BigEndian.Uint16(body[1:3]), true
		}
	case msgServerHelloDone:
		if dir == server {
			c.sawDone = true
		}
	}
}

// --- TLS records over TCP ---

// Hellos waiting for the end of their record.
const (
	pendingCH = 1 << iota
	pendingSH
)

// maxClearSegments is how many client segments of clear text may precede a STARTTLS ClientHello.
const maxClearSegments = 64

// maxRecord is the largest record length accepted: 2^14 plus the 2,048 bytes of expansion TLS 1.2 allows.
const maxRecord = 1<<14 + 2048

// data parses one in-order run of bytes of one direction.
func (c *conn) data(dir int, d []byte, frame int64) {
	rs := &c.rec[dir]
	if c.dead {
		return
	}
	if c.clear > 0 {
		// Clear text so far (SMTP, IMAP, POP3, FTP, XMPP before STARTTLS): TLS starts where a client segment
		// starts with a ClientHello record; the server's stream then resumes at its next record header.
		if dir == server {
			return
		}
		if len(d) < 6 || d[0] != recHandshake || d[1] != 3 || d[2] > 4 || d[5] != msgClientHello {
			if c.clear++; c.clear > maxClearSegments {
				c.dead = true
			}
			return
		}
		c.clear = 0
		c.rec = [2]recState{{records: 1}, {records: 1, lost: true, quiet: true}}
		c.note("tls after clear text (STARTTLS)")
	}
	if rs.lost {
		// Out of step after a gap or a bad header: resume where a segment starts with a plausible record header.
		if len(d) < 5 || !plausible(d[0], d[1], d[2], int(binary.BigEndian.Uint16(d[3:5]))) {
			return
		}
		rs.lost, rs.hdrN, rs.rem = false, 0, 0
		c.hs[dir].buf, c.hs[dir].skip = c.hs[dir].buf[:0], 0
		if !rs.quiet && !c.established && !c.encrypted13() {
			c.note("the " + sideName(dir) + "'s stream resynchronised at a record header")
		}
		rs.quiet = false
	}
	for len(d) > 0 {
		if rs.rem == 0 {
			n := copy(rs.hdr[rs.hdrN:], d)
			rs.hdrN += n
			d = d[n:]
			if rs.hdrN < 5 {
				return
			}
			rs.hdrN = 0
			if !c.header(dir) {
				return
			}
			if rs.rem == 0 {
				c.recordEnd(dir, frame)
			}
			continue
		}
		n := min(rs.rem, len(d))
		body := d[:n]
		d = d[n:]
		rs.rem -= n
		switch {
		case rs.v2:
			if len(c.hs[dir].buf)+n <= MaxHandshake {
				c.hs[dir].buf = append(c.hs[dir].buf, body...)
			}
		case rs.typ == recHandshake && !rs.ccs && !rs.discard:
			c.hs[dir].feed(c, dir, body, frame)
		case rs.typ == recAlert:
			for _, b := range body {
				if rs.alertN < 2 {
					rs.alert[rs.alertN] = b
				}
				rs.alertN++
			}
		}
		if rs.rem == 0 {
			c.recordEnd(dir, frame)
		}
	}
}

// header checks the record header in rs.hdr; false stops this direction.
func (c *conn) header(dir int) bool {
	rs := &c.rec[dir]
	h := &rs.hdr
	first := rs.records == 0
	rs.records++
	if first && dir == client && h[0]&0x80 != 0 && h[2] == 1 && (h[3] == 0 || h[3] == 3) {
		// SSLv2-compatible ClientHello: a 2-byte header (length with the high bit set), then msg_type 1 and the
		// version; the 3 bytes after the length are already read.
		l := int(h[0]&0x7f)<<8 | int(h[1])
		if l < 3+6 {
			c.dead = true
			return false
		}
		rs.v2 = true
		rs.typ = recHandshake
		rs.rem = l - 3
		rs.recLen = l
		c.hs[dir].buf = append(c.hs[dir].buf[:0], h[3], h[4])
		return true
	}
	l := int(binary.BigEndian.Uint16(h[3:5]))
	if !plausible(h[0], h[1], h[2], l) {
		if first && dir == client {
			if neverTLS(h[:]) {
				c.dead = true
				return false
			}
			c.clear = 1 // the client does not start with TLS: clear text, perhaps STARTTLS later
			return false
		}
		if first && dir == server && c.rec[client].records == 0 && string(h[:4]) == "SSH-" {
			c.dead = true // an SSH server's banner: the connection never turns to TLS
			return false
		}
		rs.lost = true
		if dir == server && c.rec[client].records == 0 {
			rs.quiet = true // a server that speaks first (an SMTP banner): not worth a note yet
		} else if !c.established {
			c.note(fmt.Sprintf("invalid tls record header (%x) in the %s's stream", h[:], sideName(dir)))
		}
		return false
	}
	rs.typ, rs.rem, rs.recLen, rs.alertN = h[0], l, l, 0
	c.recordStart(dir)
	return true
}

// neverTLS reports whether the first 5 bytes a client sends start a protocol that never turns to TLS on the same
// connection: an HTTP request other than CONNECT (whose tunnel often carries TLS next), or an SSH banner.
// Clear text of other protocols may be followed by STARTTLS (SMTP, IMAP, POP3, FTP, XMPP, LDAP, PostgreSQL, ...).
func neverTLS(h []byte) bool {
	switch string(h[:4]) {
	case "GET ", "PUT ", "SSH-":
		return true
	}
	switch string(h[:5]) {
	case "POST ", "HEAD ", "DELET", "OPTIO", "PATCH", "TRACE":
		return true
	}
	return false
}

// encrypted13 reports whether the server chose TLS 1.3: after its ServerHello nothing is readable, so losing
// bytes costs nothing worth a note.
func (c *conn) encrypted13() bool {
	return c.sh != nil && !c.sh.hrr && c.sh.version >= 0x0304 && c.sh.version>>8 != 0xfe
}

// plausible reports whether a record header is one TLS (SSLv3 to TLS 1.3) may send.
func plausible(typ, major, minor byte, l int) bool {
	return typ >= recChangeCipherSpec && typ <= recHeartbeat && major == 3 && minor <= 4 && l <= maxRecord
}

// recordStart counts a record when its header arrives: a record that started was sent, even if the capture
// loses its end.
func (c *conn) recordStart(dir int) {
	rs := &c.rec[dir]
	switch rs.typ {
	case recChangeCipherSpec:
		c.hs[dir] = hsBuf{} // what this side sends next is encrypted: its handshake buffer is no longer needed
		if !rs.ccs && dir == server && c.sh != nil && c.sh.version <= 0x0303 && !c.sawCert && !c.sawDone {
			c.resumed = true // abbreviated handshake: ChangeCipherSpec right after the ServerHello (session ticket)
		}
		rs.ccs = true
	case recHandshake:
		if rs.ccs {
			rs.finished = true
		}
	case recApplicationData:
		if dir == client && c.rec[server].appData == 0 {
			break // early data, or a client flight before the server's: not counted
		}
		rs.appData++
	}
	if !c.established && (c.sh == nil || !c.sh.hrr) { // without a ServerHello (lost), the TLS 1.2 rule
		if c.sh != nil && c.sh.version >= 0x0304 && c.sh.version>>8 != 0xfe {
			c.established = c.rec[server].appData > 0 && c.rec[client].appData > 0
		} else {
			c.established = c.rec[client].finished && c.rec[server].finished
		}
	}
}

func sideName(dir int) string {
	if dir == client {
		return "client"
	}
	return "server"
}

// recordEnd handles the end of a record of one direction.
func (c *conn) recordEnd(dir int, frame int64) {
	rs := &c.rec[dir]
	if rs.v2 {
		rs.v2 = false
		b := c.hs[dir].buf
		c.hs[dir].buf = c.hs[dir].buf[:0]
		if c.ch != nil {
			return
		}
		ch, err := parseSSLv2ClientHello(b)
		if err != nil {
			c.note("sslv2 client hello: " + err.Error())
			return
		}
		c.ch, c.chFrame = ch, frame
		c.note("sslv2-compatible client hello")
		return
	}
	if rs.discard {
		// The rest of a record cut by a gap was skipped: assume the next record starts a message.
		rs.discard = false
		c.hs[dir] = hsBuf{}
	}
	if p := c.pending[dir]; p != 0 {
		// As Wireshark, a hello belongs to the frame that completes its record.
		if p&pendingCH != 0 {
			c.chFrame = frame
		}
		if p&pendingSH != 0 {
			c.shFrame = frame
		}
		c.pending[dir] = 0
	}
	if rs.typ == recAlert && rs.recLen == 2 && rs.alertN == 2 { // encrypted alerts are longer (MAC or AEAD tag)
		c.lastAlert = int(rs.alert[1])
	}
}

// gap handles n bytes of one direction missing from the capture.
func (c *conn) gap(dir int, n int64) {
	rs := &c.rec[dir]
	if c.dead || rs.lost {
		return
	}
	if !c.established && !c.encrypted13() {
		c.note("gap in the " + sideName(dir) + "'s stream before the handshake completed")
	}
	if rs.hdrN != 0 || rs.rem == 0 || int64(rs.rem) < n || rs.v2 {
		rs.lost = true // the next record header is lost: wait for a segment that starts with one
		return
	}
	// The hole is inside the current record, whose end is known: the record layer stays in step, as in
	// Wireshark. A handshake message cut by the hole is lost; when its length is known, the messages after it in
	// the record are still read.
	rs.rem -= int(n)
	if rs.typ != recHandshake || rs.ccs {
		return
	}
	h := &c.hs[dir]
	switch {
	case h.skip > 0 && int64(h.skip) >= n:
		h.skip -= int(n)
	case len(h.buf) >= 4:
		l := int(h.buf[1])<<16 | int(h.buf[2])<<8 | int(h.buf[3])
		left := int64(4 + l - len(h.buf))
		if n <= left {
			c.note(fmt.Sprintf("handshake message type %d cut by a gap", h.buf[0]))
			h.skip = int(left - n)
			h.buf = h.buf[:0]
		} else {
			rs.discard = true
		}
	default:
		rs.discard = true
	}
}

// --- QUIC ---

// initial handles one Initial packet (pkt holds exactly the packet) of one side.
func (a *Analyzer) initial(c *conn, dir int, pkt []byte, h *quic.Header, frame int64) {
	q := c.q
	if c.established {
		return // late or retransmitted Initial packets: their handshake messages were read
	}
	if q.keys[client] == nil {
		if dir != client {
			c.note("quic: server initial before any client initial: not decrypted")
			return
		}
		if err := q.derive(h.Version, h.DCID); err != nil {
			c.note("quic: " + err.Error())
			return
		}
	}
	var payload []byte
	var pn int64
	var err error
	a.scratch, payload, pn, err = q.keys[dir].Open(a.scratch, pkt, h, q.largest[dir])
	if err != nil && dir == client && !bytes.Equal(h.DCID, q.dcid) {
		// After a Retry the client derives new keys from the connection id the server chose.
		old := *q
		if q.derive(h.Version, h.DCID) == nil {
			a.scratch, payload, pn, err = q.keys[dir].Open(a.scratch, pkt, h, q.largest[dir])
		}
		if err != nil {
			q.dcid, q.keys = old.dcid, old.keys
		}
	}
	if err != nil {
		c.note("quic: " + sideName(dir) + " initial packet does not decrypt")
		return
	}
	q.opened = true
	if pn > q.largest[dir] {
		q.largest[dir] = pn
	}
	err = quic.Frames(payload, func(off uint64, data []byte) error {
		q.crypto[dir].add(c, dir, off, data, frame)
		return nil
	}, func(code uint64) {
		if code >= 0x100 && code <= 0x1ff {
			c.lastAlert = int(code - 0x100) // a TLS alert carried as a CRYPTO_ERROR (RFC 9001 §4.8)
		}
	})
	if err != nil {
		c.note("quic: " + sideName(dir) + " initial: " + strings.TrimPrefix(err.Error(), "quic: "))
	}
}

func (q *quicState) derive(version uint32, dcid []byte) error {
	ck, err := quic.InitialKeys(version, dcid, false)
	if err != nil {
		return err
	}
	sk, err := quic.InitialKeys(version, dcid, true)
	if err != nil {
		return err
	}
	q.keys = [2]*quic.Keys{ck, sk}
	q.dcid = append([]byte(nil), dcid...)
	q.version = version
	return nil
}

// maxRanges caps the holes tracked in a CRYPTO stream.
const maxRanges = 32

// add stores CRYPTO data at off and feeds the bytes that became contiguous to the handshake parser.
func (s *cryptoStream) add(c *conn, dir int, off uint64, data []byte, frame int64) {
	if off >= MaxHandshake || uint64(len(data)) > MaxHandshake-off {
		if !s.capped {
			c.note("quic: crypto data beyond 64 KiB ignored")
			s.capped = true
		}
		if off >= MaxHandshake {
			return
		}
		data = data[:MaxHandshake-off]
	}
	start, end := int(off), int(off)+len(data)
	if end <= s.delivered || len(data) == 0 {
		return
	}
	if end > len(s.buf) {
		if end > cap(s.buf) {
			nb := make([]byte, end, max(end, 2*cap(s.buf), 2048))
			copy(nb, s.buf)
			s.buf = nb
		}
		s.buf = s.buf[:end]
	}
	copy(s.buf[start:end], data)
	// insert [start,end) into the sorted ranges, merging neighbours
	r := [2]int{start, end}
	out := s.ranges[:0:0]
	placed := false
	for _, x := range s.ranges {
		switch {
		case x[1] < r[0]:
			out = append(out, x)
		case r[1] < x[0]:
			if !placed {
				out = append(out, r)
				placed = true
			}
			out = append(out, x)
		default:
			r = [2]int{min(r[0], x[0]), max(r[1], x[1])}
		}
	}
	if !placed {
		out = append(out, r)
	}
	if len(out) > maxRanges {
		c.note("quic: crypto stream too fragmented: later fragments ignored")
		out = out[:maxRanges]
	}
	s.ranges = out
	if len(s.ranges) > 0 && s.ranges[0][0] == 0 && s.ranges[0][1] > s.delivered {
		e := s.ranges[0][1]
		c.hs[dir].feed(c, dir, s.buf[s.delivered:e], frame)
		s.delivered = e
	}
}

// --- certificates ---

type certInfo struct {
	subject, issuer, serial string
	san                     []string
	notBefore, notAfter     int64
	sha256                  string
	selfSigned, parsed      bool
	sniMatches, hasSNIMatch bool
}

func fingerprint(der []byte) string {
	s := sha256.Sum256(der)
	return hex.EncodeToString(s[:])
}

// leaf describes the first certificate of the server's chain.
func (c *conn) leaf(der []byte) (ci certInfo) {
	ci.sha256 = fingerprint(der)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		c.note("leaf certificate does not parse: " + err.Error())
		return ci
	}
	ci.parsed = true
	ci.subject = cert.Subject.String()
	ci.issuer = cert.Issuer.String()
	if cert.SerialNumber != nil {
		ci.serial = fmt.Sprintf("%X", cert.SerialNumber)
	}
	ci.san = append(ci.san, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		ci.san = append(ci.san, ip.String())
	}
	ci.notBefore, ci.notAfter = cert.NotBefore.UnixNano(), cert.NotAfter.UnixNano()
	ci.selfSigned = bytes.Equal(cert.RawSubject, cert.RawIssuer) &&
		cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
	if c.ch != nil && c.ch.serverName != "" {
		ci.hasSNIMatch = true
		ci.sniMatches = cert.VerifyHostname(c.ch.serverName) == nil
	}
	return ci
}
