package http

import (
	"strings"

	"github.com/pcapframe/pcapframe/analyzer"
)

// MaxPending caps the transactions one connection holds while waiting for their responses (or for the request
// of a response to end); past it the oldest is given up, as a request without a response.
const MaxPending = 256

// MaxPendingBytes caps the header bytes (names and values) of the transactions one connection holds; past it
// the oldest is given up as MaxPending says. With the parsers' own buffers, a connection holds at most about
// 400 KiB of headers, whatever it sends.
const MaxPendingBytes = 256 << 10

// Transaction is one request and its response (either may be missing), as the http table's row.
type Transaction struct {
	Depth             int      // trans_depth: 1 for the connection's first request
	Request, Response *Message // nil when not seen
	InfoCode          int      // the last 1xx response before the final one (0: none)
	InfoMsg           string
	ReqFiles          []*File // the objects of the request body, in order
	RespFiles         []*File
	reqDone, respDone bool
	Evicted           bool // given up because MaxPending or MaxPendingBytes was reached
	bytes             int  // header bytes held
}

// Conn reads the HTTP transactions of one TCP connection: a Parser per direction, requests and responses paired
// in order (pipelining, keep-alive, 1xx interim responses, responses to HEAD without a body, a tunnel after
// CONNECT or 101), bodies turned into objects (File) whose bytes go to the sinks open returns. It implements
// analyzer.StreamHandler and analyzer.StreamDone.
type Conn struct {
	flow     analyzer.Flow
	req      Parser
	resp     Parser
	open     func(*File) FileSink // nil: no sinks
	emit     func(*Transaction) error
	err      error
	pending  []*Transaction
	depth    int
	curReq   *Transaction
	curResp  *Transaction
	reqEnt   *entity
	respEnt  *entity
	pos      position
	http     bool
	ended    bool
	reqH     reqHandler
	respH    respHandler
	lastResp *Transaction // the transaction whose response is being read
	held     int          // header bytes of the pending transactions
}

// NewConn returns the reader of one connection. emit is called with each transaction, in trans_depth order,
// when both its messages are over (or at the end of the connection); open, when not nil, is called for each
// object as it starts and returns the sink of its bytes (or nil).
func NewConn(f *analyzer.Flow, lim Limits, open func(*File) FileSink, emit func(*Transaction) error) *Conn {
	c := &Conn{flow: *f, open: open, emit: emit} // the parsers are part of the Conn: one allocation
	c.req.init(false, lim)
	c.resp.init(true, lim)
	c.flow.UID = strings.Clone(f.UID)
	c.flow.CommunityID = strings.Clone(f.CommunityID)
	c.reqH.c, c.respH.c = c, c
	return c
}

// SetOpen sets the function that returns the sink of each object (see NewConn's open); it must be called before
// the connection's first bytes.
func (c *Conn) SetOpen(open func(*File) FileSink) { c.open = open }

// openFile returns the sink of an object that starts (nil when the Conn has none).
func (c *Conn) openFile(f *File) FileSink {
	if c.open == nil {
		return nil
	}
	return c.open(f)
}

// IsHTTP reports whether a request line or status line was read.
func (c *Conn) IsHTTP() bool { return c.http }

// Data implements analyzer.StreamHandler.
func (c *Conn) Data(fromOrig bool, data []byte, frame, time int64) error {
	c.pos = position{frame, time}
	if fromOrig {
		c.req.Feed(data, frame, time, &c.reqH)
		if c.req.NotHTTP() {
			c.resp.Kill(&c.respH)
		}
	} else {
		c.resp.Feed(data, frame, time, &c.respH)
	}
	return c.err
}

// Gap implements analyzer.StreamHandler.
func (c *Conn) Gap(fromOrig bool, n int64, frame, time int64) error {
	c.pos = position{frame, time}
	if fromOrig {
		c.req.Gap(n, frame, time, &c.reqH)
	} else {
		c.resp.Gap(n, frame, time, &c.respH)
	}
	return c.err
}

// End implements analyzer.StreamHandler: messages cut short end, and every transaction left is emitted.
func (c *Conn) End() error {
	if c.ended {
		return c.err
	}
	c.ended = true
	c.req.Close(&c.reqH)
	c.resp.Close(&c.respH)
	for _, t := range c.pending {
		c.send(t)
	}
	c.pending = nil
	return c.err
}

// Done implements analyzer.StreamDone: the connection is not HTTP, or both directions stopped.
func (c *Conn) Done() bool { return c.req.Dead() && c.resp.Dead() }

func (c *Conn) send(t *Transaction) {
	if c.err == nil {
		c.err = c.emit(t)
	}
}

// flush emits the finished transactions at the head of the queue, and gives up the oldest past MaxPending.
func (c *Conn) flush() {
	i := 0
	for i < len(c.pending) && c.pending[i].reqDone && c.pending[i].respDone {
		c.send(c.pending[i])
		i++
	}
	for j := 0; j < i; j++ {
		c.held -= c.pending[j].bytes
	}
	for len(c.pending)-i > MaxPending || c.held > MaxPendingBytes && len(c.pending)-i > 1 {
		t := c.pending[i]
		if t == c.curReq || t == c.lastResp {
			break
		}
		t.Evicted = true
		c.send(t)
		c.held -= t.bytes
		i++
	}
	if i > 0 {
		c.pending = append(c.pending[:0], c.pending[i:]...)
	}
}

type reqHandler struct{ c *Conn }

func (h *reqHandler) Start(m *Message) {
	c := h.c
	c.http = true
	c.depth++
	if m.Version == "0.9" {
		c.resp.ExpectSimple()
	}
	t := &Transaction{Depth: c.depth, Request: m, bytes: headerBytes(m)}
	c.held += t.bytes
	c.pending = append(c.pending, t)
	c.curReq = t
}

func headerBytes(m *Message) int {
	n := len(m.Target)
	for _, h := range m.Headers {
		n += len(h.Name) + len(h.Value)
	}
	return n
}

func (h *reqHandler) Body(m *Message, b []byte) {
	c := h.c
	if c.reqEnt == nil {
		c.reqEnt = newEntity(c, m, true, c.curReq.Depth)
	}
	c.reqEnt.write(b)
}

func (h *reqHandler) BodyGap(m *Message, n int64) {
	c := h.c
	if c.reqEnt == nil {
		c.reqEnt = newEntity(c, m, true, c.curReq.Depth)
	}
	c.reqEnt.gap(n)
}

func (h *reqHandler) End(m *Message) {
	c := h.c
	t := c.curReq
	if c.reqEnt != nil {
		t.ReqFiles = c.reqEnt.close(m.Complete)
		c.reqEnt = nil
	}
	t.reqDone = true
	c.curReq = nil
	c.flush()
}

type respHandler struct{ c *Conn }

func (h *respHandler) Start(m *Message) {
	c := h.c
	c.http = true
	var t *Transaction
	for _, p := range c.pending {
		if !p.respDone {
			t = p
			break
		}
	}
	if t == nil { // a response without a request
		c.depth++
		t = &Transaction{Depth: c.depth, reqDone: true}
		c.pending = append(c.pending, t)
	}
	c.lastResp = t
	if m.Status/100 == 1 && m.Status != 101 {
		t.InfoCode, t.InfoMsg = m.Status, m.Reason
		return
	}
	t.Response = m
	b := headerBytes(m)
	t.bytes += b
	c.held += b
	if r := t.Request; r != nil {
		switch {
		case r.Method == "HEAD":
			m.NoBody = true
		case r.Method == "CONNECT" && m.Status/100 == 2:
			m.Tunnel = true
		}
	}
}

func (h *respHandler) Body(m *Message, b []byte) {
	c := h.c
	if c.respEnt == nil {
		c.respEnt = newEntity(c, m, false, c.lastResp.Depth)
	}
	c.respEnt.write(b)
}

func (h *respHandler) BodyGap(m *Message, n int64) {
	c := h.c
	if c.respEnt == nil {
		c.respEnt = newEntity(c, m, false, c.lastResp.Depth)
	}
	c.respEnt.gap(n)
}

func (h *respHandler) End(m *Message) {
	c := h.c
	t := c.lastResp
	if t == nil || t.Response != m { // an interim (1xx) response
		return
	}
	if c.respEnt != nil {
		t.RespFiles = c.respEnt.close(m.Complete)
		c.respEnt = nil
	}
	t.respDone = true
	c.lastResp = nil
	if m.Tunnel {
		c.req.Kill(&c.reqH)
	}
	c.flush()
}

// Flow returns the connection's flow.
func (c *Conn) Flow() *analyzer.Flow { return &c.flow }
