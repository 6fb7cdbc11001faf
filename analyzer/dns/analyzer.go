package dns

import (
	"encoding/binary"
	"strconv"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/packet"
)

// Limits on the queries waiting for their responses.
const (
	DefaultMaxPending        = 16384 // queries waiting at once, over all flows
	DefaultMaxPendingPerFlow = 1024  // queries waiting at once in one flow
	// MaxTCPBuffered caps the bytes of TCP messages split across Data calls held at once over all connections
	// (a message is at most 64 KiB); a direction that would exceed it is no longer parsed (noteTCPBudget).
	MaxTCPBuffered = 32 << 20
	keepBuffer     = 4 << 10 // a direction's buffer larger than this is released once its message is done
	maxFree        = 1024    // recycled flow states kept
)

// Well-known ports.
const (
	portDNS   = 53
	portMDNS  = 5353
	portLLMNR = 5355
	portDoT   = 853 // DNS over TLS (and DNS over QUIC on UDP): encrypted, never parsed
)

// Stats counts what an Analyzer did.
type Stats struct {
	Messages    int64 // DNS messages parsed
	Queries     int64 // of which queries (QR 0)
	Responses   int64 // of which responses (QR 1)
	Rows        int64 // rows emitted
	Answered    int64 // rows with a query and its response
	Unanswered  int64 // rows with a query only
	Unsolicited int64 // rows with a response only
	Evicted     int64 // queries emitted as unanswered early, because a pending-query cap was reached
	DeadStreams int64 // TCP directions no longer parsed after a gap or a message that is not DNS
	// Notes counts the messages by what went wrong while parsing them (index: the note; see NoteCounts).
	Notes [nNotes]int64
}

// NoteCounts returns the non-zero note counters by the notes' text, as Zeek's weird.log counts weirds.
func (s *Stats) NoteCounts() map[string]int64 {
	m := map[string]int64{}
	for i, n := range s.Notes {
		if i != int(noteNone) && n > 0 {
			m[noteText[i]] = n
		}
	}
	return m
}

// Analyzer builds the dns table. It implements analyzer.Analyzer and analyzer.Service. Not safe for concurrent
// use (the driver calls it from one goroutine).
type Analyzer struct {
	emit           func(*Row) error
	maxPending     int
	maxPerFlow     int
	flows          map[string]*flowState
	head, tail     *pending // every pending query, oldest first
	nPending       int
	freePending    []*pending
	freeFlows      []*flowState
	msg            message
	row            Row
	text           []byte // the row's texts
	suffixes       suffixCache
	tcpBuffered    int64 // bytes held in the TCP handlers' buffers
	maxTCPBuffered int64
	lists          lists
	stats          Stats
}

// flowState is what is kept per flow that carried DNS.
type flowState struct {
	flow    analyzer.Flow
	pending []*pending // oldest first
	dns     bool       // a message's header and question parsed: the flow's service is dns
}

// pending is a query waiting for its response.
type pending struct {
	fs          *flowState
	prev, next  *pending
	id, flags   uint16
	hasQuestion bool
	qtype       uint16
	qclass      uint16
	qname       name
	edns        bool
	ednsSize    uint16
	ednsDO      bool
	frame, time int64
	note        note
	retrans     bool // a repetition, within retransWindow, of a query still waiting
}

// retransWindow is how soon a query with the id of one still waiting (and not itself a repetition) is a
// retransmission, as tshark's DNS dissector decides (5 s, whatever the question): a response is matched to
// the newest query that is not a retransmission, so to the first of a burst of repeats.
const retransWindow = 5e9

// New returns an Analyzer that calls emit with each row. emit must not keep the *Row, which is reused, but may
// keep a copy of the Row value (see Row); an error from emit is returned by the call that caused it.
func New(emit func(*Row) error) *Analyzer {
	return &Analyzer{emit: emit, maxPending: DefaultMaxPending, maxTCPBuffered: MaxTCPBuffered, maxPerFlow: DefaultMaxPendingPerFlow, flows: map[string]*flowState{}}
}

// SetLimits changes the caps on pending queries (over all flows, and per flow); values <= 0 keep the current
// ones. When a cap is reached, the oldest pending query (over all flows, or of the flow) is emitted as
// unanswered and counted in Stats.Evicted.
func (a *Analyzer) SetLimits(total, perFlow int) {
	if total > 0 {
		a.maxPending = total
	}
	if perFlow > 0 {
		a.maxPerFlow = perFlow
	}
}

// Stats returns the counters so far.
func (a *Analyzer) Stats() Stats { return a.stats }

var (
	_ analyzer.Analyzer = (*Analyzer)(nil)
	_ analyzer.Service  = (*Analyzer)(nil)
)

func dnsPort(p uint16) bool { return p == portDNS || p == portMDNS || p == portLLMNR }

// Packet parses a UDP datagram as DNS when either port is 53, 5353 or 5355, or when it looks like a DNS
// message on another port (see plausible); port 853 (DNS over QUIC), 137 and 138 (NetBIOS) are left alone.
func (a *Analyzer) Packet(p *analyzer.Packet) error {
	f := p.Flow
	if f == nil || f.Proto != 17 || !p.Has(packet.HasUDP) {
		return nil
	}
	b := p.Payload()
	if len(b) == 0 {
		return nil
	}
	op, rp := f.Orig.Port(), f.Resp.Port()
	if !dnsPort(op) && !dnsPort(rp) {
		if fs := a.flows[f.UID]; fs == nil || !fs.dns {
			if !plausibleHeader(b, op, rp) {
				return nil
			}
			a.msg.parse(b)
			if !plausible(&a.msg) {
				return nil
			}
			return a.handle(f, &a.msg, p.Frame, p.Time)
		}
	}
	a.msg.parse(b)
	return a.handle(f, &a.msg, p.Frame, p.Time)
}

// plausibleHeader is the cheap test of a datagram on a port that is not DNS's: a header with one question, a
// clear reserved bit, opcode 0 and small record counts.
func plausibleHeader(b []byte, op, rp uint16) bool {
	for _, port := range [2]uint16{op, rp} {
		if port == portDoT || port == 137 || port == 138 {
			return false
		}
	}
	if len(b) < headerLen+5 {
		return false
	}
	flags := binary.BigEndian.Uint16(b[2:])
	return binary.BigEndian.Uint16(b[4:]) == 1 && flags&0x7840 == 0 && // opcode 0, reserved bit clear
		binary.BigEndian.Uint16(b[6:]) <= 64 && binary.BigEndian.Uint16(b[8:]) <= 64 && binary.BigEndian.Uint16(b[10:]) <= 64
}

// plausible is the full test: the message parsed to its end without a note, its question is of class IN or
// ANY (the mDNS unicast bit allowed) and of a type other than 0, and a query carries no answer.
func plausible(m *message) bool {
	c := m.qclass &^ 0x8000
	return m.note == noteNone && m.hasQuestion && (c == 1 || c == 255) && m.qtype != 0 && (m.qr() || m.ancount == 0 && m.nscount == 0)
}

// Stream returns a handler for TCP connections on port 53, 5353 or 5355 (DNS messages with a 2-byte length
// prefix, RFC 1035 §4.2.2); nil for other connections, and for 853 (DNS over TLS, encrypted).
func (a *Analyzer) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	if !a.WantStream(f) {
		return nil
	}
	return &tcpHandler{a: a, flow: *f}
}

// WantStream implements analyzer.StreamFilter: DNS over TCP is read on the DNS ports only.
func (a *Analyzer) WantStream(f *analyzer.Flow) bool {
	return f != nil && f.Proto == 6 && (dnsPort(f.Orig.Port()) || dnsPort(f.Resp.Port()))
}

// tcpHandler splits one TCP connection's two byte streams into DNS messages.
type tcpHandler struct {
	a    *Analyzer
	flow analyzer.Flow
	dir  [2]tcpDir
}

type tcpDir struct {
	buf  []byte // a message's beginning (length prefix included) that the stream has not completed yet
	dead bool   // framing lost: nothing more is parsed in this direction
}

func dirIndex(fromOrig bool) int {
	if fromOrig {
		return 0
	}
	return 1
}

// Data takes the next bytes of one direction. Complete messages in data are parsed in place; a message split
// across calls is gathered in a buffer of at most 64 KiB + 2 bytes per direction.
func (h *tcpHandler) Data(fromOrig bool, data []byte, frame, time int64) error {
	d := &h.dir[dirIndex(fromOrig)]
	for len(data) > 0 && !d.dead {
		if len(d.buf) == 0 && len(data) >= 2 {
			n := 2 + int(binary.BigEndian.Uint16(data))
			if len(data) >= n {
				if err := h.message(d, data[2:n], frame, time); err != nil {
					return err
				}
				data = data[n:]
				continue
			}
		}
		need := 2
		if len(d.buf) >= 2 {
			need = 2 + int(binary.BigEndian.Uint16(d.buf))
		}
		k := min(need-len(d.buf), len(data))
		if h.a.tcpBuffered+int64(k) > h.a.maxTCPBuffered {
			h.a.stats.Notes[noteTCPBudget]++
			h.drop(d)
			return nil
		}
		h.a.tcpBuffered += int64(k)
		d.buf = append(d.buf, data[:k]...)
		data = data[k:]
		if len(d.buf) >= 2 && len(d.buf) == 2+int(binary.BigEndian.Uint16(d.buf)) {
			err := h.message(d, d.buf[2:], frame, time)
			h.release(d)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// release empties a direction's buffer (freeing a large one) and returns its bytes to the budget.
func (h *tcpHandler) release(d *tcpDir) {
	h.a.tcpBuffered -= int64(len(d.buf))
	if cap(d.buf) > keepBuffer {
		d.buf = nil
	} else {
		d.buf = d.buf[:0]
	}
}

// drop stops parsing a direction.
func (h *tcpHandler) drop(d *tcpDir) {
	if !d.dead {
		d.dead = true
		h.a.stats.DeadStreams++
	}
	h.release(d)
}

// message parses one framed message; a message that is not DNS (no header and question) ends the parsing of
// its direction, whose framing is then most likely lost.
func (h *tcpHandler) message(d *tcpDir, b []byte, frame, time int64) error {
	m := &h.a.msg
	m.parse(b)
	if len(b) < headerLen {
		m.note = noteTCPLength
	}
	if !m.questionOK {
		d.dead = true
		h.a.stats.DeadStreams++
	}
	return h.a.handle(&h.flow, m, frame, time)
}

// Gap ends the parsing of that direction: message boundaries are lost with the missing bytes.
func (h *tcpHandler) Gap(fromOrig bool, n int64, frame, time int64) error {
	d := &h.dir[dirIndex(fromOrig)]
	if !d.dead {
		d.dead = true
		h.a.stats.DeadStreams++
		if len(d.buf) == 0 {
			h.a.stats.Notes[noteGap]++
		} else {
			// The message the gap cut: a row with what its beginning says.
			b := d.buf[min(2, len(d.buf)):]
			m := &h.a.msg
			m.parse(b)
			m.note = noteGap
			err := h.a.handle(&h.flow, m, frame, time)
			h.release(d)
			return err
		}
	}
	return nil
}

// End is called at the end of the connection: a message still incomplete is dropped (counted as a gap: its
// end was never seen); pending queries are flushed by FlowEnd.
func (h *tcpHandler) End() error {
	for i := range h.dir {
		if d := &h.dir[i]; len(d.buf) > 0 {
			h.a.stats.Notes[noteGap]++
			h.release(d)
		}
	}
	return nil
}

// state returns the state of flow f, created when missing.
func (a *Analyzer) state(f *analyzer.Flow) *flowState {
	if fs := a.flows[f.UID]; fs != nil {
		return fs
	}
	var fs *flowState
	if n := len(a.freeFlows); n > 0 {
		fs, a.freeFlows = a.freeFlows[n-1], a.freeFlows[:n-1]
	} else {
		fs = &flowState{}
	}
	fs.flow, fs.dns = *f, false
	a.flows[f.UID] = fs
	return fs
}

// handle takes one parsed message of flow f: a query waits for its response, a response is matched to the
// newest pending query of the flow with its transaction id and question.
func (a *Analyzer) handle(f *analyzer.Flow, m *message, frame, time int64) error {
	fs := a.state(f)
	if m.questionOK {
		fs.dns = true
	}
	a.stats.Messages++
	a.stats.Notes[m.note]++
	if !m.qr() {
		a.stats.Queries++
		if m.note == noteShortHeader || m.note == noteTCPLength {
			return a.emitQuery(fs, m, frame, time)
		}
		return a.addPending(fs, m, frame, time)
	}
	a.stats.Responses++
	// The newest query that is not a retransmission, else the newest retransmission.
	match := -1
	for i := len(fs.pending) - 1; i >= 0; i-- {
		q := fs.pending[i]
		if q.id != m.id || !sameQuestion(q, m) {
			continue
		}
		if match < 0 {
			match = i
		}
		if !q.retrans {
			match = i
			break
		}
	}
	if match >= 0 {
		i, q := match, fs.pending[match]
		fs.pending = append(fs.pending[:i], fs.pending[i+1:]...)
		a.unlink(q)
		err := a.emitPair(fs, q, m, frame, time)
		a.release(q)
		return err
	}
	return a.emitPair(fs, nil, m, frame, time)
}

// sameQuestion reports whether a response answers query q: same question (name compared without ASCII case),
// or either side has none.
func sameQuestion(q *pending, m *message) bool {
	if !q.hasQuestion || !m.hasQuestion {
		return true
	}
	return q.qtype == m.qtype && q.qclass&^0x8000 == m.qclass&^0x8000 && q.qname.labels == m.qname.labels && equalFold(q.qname.raw, m.qname.raw)
}

// equalFold compares names ignoring ASCII case.
func equalFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i, c := range a {
		if d := b[i]; c != d && lowerASCII(c) != lowerASCII(d) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// addPending keeps query m until its response, flushing the oldest queries when a cap is reached.
func (a *Analyzer) addPending(fs *flowState, m *message, frame, time int64) error {
	if len(fs.pending) >= a.maxPerFlow {
		if err := a.evict(fs.pending[0]); err != nil {
			return err
		}
	}
	if a.nPending >= a.maxPending && a.head != nil {
		if err := a.evict(a.head); err != nil {
			return err
		}
	}
	var q *pending
	if n := len(a.freePending); n > 0 {
		q, a.freePending = a.freePending[n-1], a.freePending[:n-1]
	} else {
		q = &pending{}
	}
	q.fs, q.id, q.flags = fs, m.id, m.flags
	q.hasQuestion, q.qtype, q.qclass = m.hasQuestion, m.qtype, m.qclass
	q.qname.raw = append(q.qname.raw[:0], m.qname.raw...)
	q.qname.esc = append(q.qname.esc[:0], m.qname.esc...)
	q.qname.labels, q.qname.longest, q.qname.end = m.qname.labels, m.qname.longest, m.qname.end
	q.edns, q.ednsSize, q.ednsDO = m.edns, m.ednsSize, m.ednsDO
	q.frame, q.time, q.note = frame, time, m.note
	q.retrans = false
	for i := len(fs.pending) - 1; i >= 0; i-- {
		o := fs.pending[i]
		if !o.retrans && o.id == q.id && time-o.time <= retransWindow {
			q.retrans = true
			break
		}
	}
	fs.pending = append(fs.pending, q)
	q.prev, q.next = a.tail, nil
	if a.tail != nil {
		a.tail.next = q
	} else {
		a.head = q
	}
	a.tail = q
	a.nPending++
	return nil
}

// evict emits pending query q as unanswered before its time.
func (a *Analyzer) evict(q *pending) error {
	a.stats.Evicted++
	fs := q.fs
	for i, p := range fs.pending {
		if p == q {
			fs.pending = append(fs.pending[:i], fs.pending[i+1:]...)
			break
		}
	}
	a.unlink(q)
	err := a.emitPair(fs, q, nil, 0, 0)
	a.release(q)
	return err
}

func (a *Analyzer) unlink(q *pending) {
	if q.prev != nil {
		q.prev.next = q.next
	} else {
		a.head = q.next
	}
	if q.next != nil {
		q.next.prev = q.prev
	} else {
		a.tail = q.prev
	}
	q.prev, q.next = nil, nil
	a.nPending--
}

func (a *Analyzer) release(q *pending) {
	q.fs = nil
	a.freePending = append(a.freePending, q)
}

// FlowEnd emits the flow's unanswered queries, oldest first, and forgets the flow.
func (a *Analyzer) FlowEnd(f *analyzer.Flow) error {
	fs := a.flows[f.UID]
	if fs == nil {
		return nil
	}
	err := a.flush(fs)
	delete(a.flows, f.UID)
	fs.flow = analyzer.Flow{}
	if len(a.freeFlows) < maxFree {
		a.freeFlows = append(a.freeFlows, fs)
	}
	return err
}

func (a *Analyzer) flush(fs *flowState) error {
	var err error
	for _, q := range fs.pending {
		a.unlink(q)
		if err == nil {
			err = a.emitPair(fs, q, nil, 0, 0)
		}
		a.release(q)
	}
	clear(fs.pending)
	fs.pending = fs.pending[:0]
	return err
}

// Close emits the queries still pending (of flows the driver did not end), oldest first.
func (a *Analyzer) Close() error {
	for a.head != nil {
		fs := a.head.fs
		if err := a.flush(fs); err != nil {
			return err
		}
	}
	return nil
}

// Service returns "dns" for a flow in which a DNS message's header and question parsed, "" otherwise.
func (a *Analyzer) Service(uid string) string {
	if fs := a.flows[uid]; fs != nil && fs.dns {
		return "dns"
	}
	return ""
}

// emitQuery emits at once the row of a query that cannot wait for a response (its header is cut short).
func (a *Analyzer) emitQuery(fs *flowState, m *message, frame, time int64) error {
	var q pending
	q.id, q.flags = m.id, m.flags
	q.hasQuestion, q.qtype, q.qclass, q.qname = m.hasQuestion, m.qtype, m.qclass, m.qname
	q.edns, q.ednsSize, q.ednsDO = m.edns, m.ednsSize, m.ednsDO
	q.frame, q.time, q.note = frame, time, m.note
	return a.emitPair(fs, &q, nil, 0, 0)
}

// emitPair builds and emits the row of query q (nil if not seen) and response r (nil if not seen). The row
// owns what it refers to: its texts are substrings of one string made for it, its lists are carved from
// chunks that are never written again (see lists), so a copy of the Row value stays valid.
func (a *Analyzer) emitPair(fs *flowState, q *pending, r *message, rframe, rtime int64) error {
	row := &a.row
	f := &fs.flow
	*row = Row{
		UID: f.UID, CommunityID: f.CommunityID, OrigH: f.Orig.Addr().Unmap(), RespH: f.Resp.Addr().Unmap(), OrigP: f.Orig.Port(),
		RespP: f.Resp.Port(), Proto: f.Proto,
	}
	var nm *name
	switch {
	case q != nil:
		a.stats.Rows++
		row.TS, row.QueryFrame, row.QueryTime = q.time, q.frame, q.time
		row.TransID, row.Opcode = q.id, uint8(q.flags>>11)&0xf
		row.TC, row.RD, row.Z = q.flags&0x0200 != 0, q.flags&0x0100 != 0, uint8(q.flags>>4)&7
		row.HasQuestion, row.QType, row.QClass = q.hasQuestion, q.qtype, q.qclass
		row.EDNS, row.EDNSUDPSize, row.EDNSDO = q.edns, q.ednsSize, q.ednsDO
		if q.hasQuestion {
			nm = &q.qname
		}
		if r != nil {
			a.stats.Answered++
		} else {
			a.stats.Unanswered++
		}
	case r != nil:
		a.stats.Rows++
		a.stats.Unsolicited++
		row.TS = rtime
		row.TransID, row.Opcode = r.id, r.opcode()
		row.TC, row.RD, row.Z = r.tc(), r.rd(), r.z()
		row.HasQuestion, row.QType, row.QClass = r.hasQuestion, r.qtype, r.qclass
		row.EDNS, row.EDNSUDPSize, row.EDNSDO = r.edns, r.ednsSize, r.ednsDO
		if r.hasQuestion {
			nm = &r.qname
		}
	default:
		return nil
	}

	// Every text of the row, one after the other: note, query, query_raw, base domain, answers.
	text := a.text[:0]
	if q != nil && q.note != noteNone {
		text = append(text, "query: "...)
		text = append(text, noteText[q.note]...)
	}
	if r != nil && r.note != noteNone {
		if len(text) > 0 {
			text = append(text, "; "...)
		}
		text = append(text, "response: "...)
		text = append(text, noteText[r.note]...)
	}
	noteEnd := len(text)
	queryEnd, rawEnd, baseEnd, base := noteEnd, noteEnd, noteEnd, 0
	if nm != nil {
		text = appendNameText(text, nm)
		queryEnd = len(text)
		text = append(text, nm.raw...)
		rawEnd = len(text)
		row.LabelCount, row.LongestLabel = nm.labels, nm.longest
		if base = a.suffixes.baseLabels(nm.esc, nm.labels); base > 0 {
			row.HasBase = true
			text = append(text, a.suffixes.lower...)
			row.SubdomainEntropy = entropy(nm, nm.labels-base)
		}
		baseEnd = len(text)
	}
	if r != nil {
		row.HasResponse, row.ResponseFrame, row.ResponseTime, row.ResponseSize = true, rframe, rtime, int64(r.size)
		row.Rcode, row.AA, row.RA = r.rcode(), r.aa(), r.ra()
		row.Rejected = r.records() == 0 || r.rcode() != 0 && r.qdcount == 0
		text = append(text, r.text...)
	}
	a.text = text
	all := string(text) // the row's one allocation (none when it has no text)

	row.Note = all[:noteEnd]
	if nm != nil {
		row.Query = all[noteEnd:queryEnd]
		row.QueryRaw = all[queryEnd:rawEnd]
		if base > 0 {
			lower := all[rawEnd:baseEnd]
			// The base domain is the last base labels of the escaped name: find where it starts.
			dots, cut := 0, len(lower)
			for cut > 0 {
				if lower[cut-1] == '.' {
					dots++
					if dots == base {
						break
					}
				}
				cut--
			}
			row.BaseDomain = lower[cut:]
			if cut > 0 {
				row.Subdomain = row.Query[:cut-1]
			}
		}
	}
	if r != nil {
		n := len(r.answers)
		row.Answers, row.TTLs, row.AnswerTypes = a.lists.strings(n), a.lists.floats(n), a.lists.strings(n)
		for i, an := range r.answers {
			row.Answers[i] = all[baseEnd+int(an.off) : baseEnd+int(an.off+an.n)]
			row.TTLs[i] = float64(an.ttl)
			tn, ok := qtypeNames[an.typ]
			if !ok {
				tn = "query-" + strconv.Itoa(int(an.typ))
			}
			row.AnswerTypes[i] = tn
		}
	}
	return a.emit(row)
}

// lists hands out the rows' lists from chunks: each list is a part of a chunk that no other list shares and
// that is never written again once handed out, so rows may keep their lists; a chunk is freed by the garbage
// collector with the last row that refers to it.
type lists struct {
	strChunk   []string
	floatChunk []float64
}

const listChunk = 4096

func (l *lists) strings(n int) []string {
	if n == 0 {
		return []string{}
	}
	if len(l.strChunk)+n > cap(l.strChunk) {
		l.strChunk = make([]string, 0, max(listChunk, n))
	}
	s := l.strChunk[len(l.strChunk) : len(l.strChunk)+n : len(l.strChunk)+n]
	l.strChunk = l.strChunk[:len(l.strChunk)+n]
	return s
}

func (l *lists) floats(n int) []float64 {
	if n == 0 {
		return []float64{}
	}
	if len(l.floatChunk)+n > cap(l.floatChunk) {
		l.floatChunk = make([]float64, 0, max(listChunk, n))
	}
	s := l.floatChunk[len(l.floatChunk) : len(l.floatChunk)+n : len(l.floatChunk)+n]
	l.floatChunk = l.floatChunk[:len(l.floatChunk)+n]
	return s
}
