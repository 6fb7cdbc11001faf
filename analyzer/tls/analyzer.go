package tls

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/analyzer/tls/quic"
)

// Analyzer builds the tls table: it implements analyzer.Analyzer and analyzer.Service.
type Analyzer struct {
	emit    func(*Row) error
	conns   map[string]*conn
	scratch []byte // decrypted QUIC packets, reused
	row     Row
	notes   map[string]int64
}

var (
	_ analyzer.Analyzer = (*Analyzer)(nil)
	_ analyzer.Service  = (*Analyzer)(nil)
)

// New returns an analyzer that calls emit with one row per TLS or QUIC handshake, when its flow ends. The row
// is reused after emit returns.
func New(emit func(*Row) error) *Analyzer {
	return &Analyzer{emit: emit, conns: map[string]*conn{}, notes: map[string]int64{}}
}

// maxNoteKinds caps the distinct notes Notes counts (some name bytes or sizes); later ones count together.
const maxNoteKinds = 256

// Notes returns how many rows carried each note (the counterpart of Zeek's weird.log counts), keyed by the note
// text; past 256 distinct notes the others are counted under "(other notes)".
func (a *Analyzer) Notes() map[string]int64 { return a.notes }

func newConn(f *analyzer.Flow, isQUIC bool) *conn {
	return &conn{uid: strings.Clone(f.UID), communityID: strings.Clone(f.CommunityID), orig: f.Orig, resp: f.Resp,
		start: f.Start, isQUIC: isQUIC, lastAlert: -1}
}

// Stream returns the handler of a TCP connection: every connection is looked at, TLS being recognised by its
// first bytes whatever the port (STARTTLS, which starts in clear text, is followed). The handler is an
// analyzer.StreamDone: it is done once the connection is known not to be TLS or its handshake is established.
//
// The connection's state is made at its first bytes (or gap): many connections carry none (scans, refused
// connections), and a connection without bytes has no row and no service, whether or not its state exists.
func (a *Analyzer) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	h := &handler{a: a, f: *f}
	h.f.UID, h.f.CommunityID = strings.Clone(f.UID), strings.Clone(f.CommunityID)
	return h
}

type handler struct {
	a *Analyzer
	f analyzer.Flow // the connection's identity (its strings copied), for conn
	c *conn         // nil until the connection's first bytes or gap
}

var _ analyzer.StreamDone = (*handler)(nil)

// conn returns the connection's state, made at the first call.
func (h *handler) conn() *conn {
	if h.c == nil {
		h.c = &conn{uid: h.f.UID, communityID: h.f.CommunityID, orig: h.f.Orig, resp: h.f.Resp, start: h.f.Start, lastAlert: -1}
		h.a.conns[h.c.uid] = h.c
	}
	return h.c
}

// Done tells the driver that the connection's bytes no longer matter, so that it stops reassembling it: the
// connection is not TLS (its client spoke clear text that cannot lead to STARTTLS, or clear text for too long), or
// the handshake is established, after which every record is encrypted and nothing of the row can change.
func (h *handler) Done() bool { return h.c != nil && (h.c.dead || h.c.established) }

func dirOf(fromOrig bool) int {
	if fromOrig {
		return client
	}
	return server
}

func (h *handler) Data(fromOrig bool, data []byte, frame, _ int64) error {
	h.conn().data(dirOf(fromOrig), data, frame)
	return nil
}

func (h *handler) Gap(fromOrig bool, n int64, _, _ int64) error {
	h.conn().gap(dirOf(fromOrig), n)
	return nil
}

func (h *handler) End() error {
	c := h.c
	if c != nil && !c.dead && c.recognised() {
		for dir := range 2 {
			rs := &c.rec[dir]
			if !rs.lost && (rs.rem > 0 || rs.hdrN > 0) && !c.established {
				c.note("the " + sideName(dir) + "'s stream ends inside a record")
			}
		}
		if !c.established && c.lastAlert < 0 {
			c.note("handshake not completed")
		}
	}
	return nil
}

// Packet parses the QUIC packets of UDP datagrams; other packets return at once.
func (a *Analyzer) Packet(p *analyzer.Packet) error {
	if p.Flow == nil || p.Flow.Proto != 17 {
		return nil
	}
	pl := p.Payload()
	if len(pl) == 0 {
		return nil
	}
	c := a.conns[p.Flow.UID]
	if c == nil {
		if len(pl) < 7 || pl[0]&0xc0 != 0xc0 || !p.FromOrig {
			return nil
		}
		v := binary.BigEndian.Uint32(pl[1:5])
		if !quic.Supported(v) {
			if v != 0 && (p.Flow.Resp.Port() == 443 || p.Flow.Orig.Port() == 443) {
				c = newConn(p.Flow, true)
				c.q = &quicState{largest: [2]int64{-1, -1}}
				c.note(fmt.Sprintf("quic: unsupported version %#08x", v))
				a.conns[c.uid] = c
			}
			return nil
		}
		t := int(pl[0]>>4) & 3
		if v == quic.Version2 {
			t = (t + 3) & 3
		}
		if t != quic.Initial {
			return nil
		}
		c = newConn(p.Flow, true)
		c.q = &quicState{largest: [2]int64{-1, -1}}
		a.conns[c.uid] = c
	}
	if c.q == nil {
		return nil
	}
	dir := dirOf(p.FromOrig)
	b := pl
	for i := 0; len(b) > 0 && i < 16; i++ { // a datagram coalesces a few packets; 16 is plenty
		if b[0]&0x80 == 0 {
			if b[0]&0x40 != 0 && c.q.opened {
				c.q.short[dir] = true
				if c.q.short[client] && c.q.short[server] && !c.established {
					c.established = true
					c.q.crypto = [2]cryptoStream{} // the Initial packets are over: free the buffers
					c.hs = [2]hsBuf{}
				}
			}
			break
		}
		h, err := quic.ParseLong(b)
		if err != nil && i > 0 {
			break // what follows a packet may be padding of any kind (RFC 9000 §12.2): not worth a note
		}
		if err != nil {
			if err == quic.ErrVersion && h.Version == 0 {
				c.note("quic: version negotiation")
			} else if c.q.keys[client] != nil || err != quic.ErrVersion {
				c.note(err.Error())
			} else {
				c.note(fmt.Sprintf("quic: unsupported version %#08x", h.Version))
			}
			break
		}
		if h.Type == quic.Initial {
			a.initial(c, dir, b[:h.End], &h, p.Frame)
		}
		b = b[h.End:]
	}
	return nil
}

// Service names the protocol of a flow the analyzer recognised: "ssl" for TLS over TCP (Zeek's name), "quic"
// for QUIC; "" otherwise.
func (a *Analyzer) Service(uid string) string {
	c := a.conns[uid]
	if c == nil || c.dead || !c.recognised() {
		return ""
	}
	if c.isQUIC {
		return "quic"
	}
	return "ssl"
}

// FlowEnd emits the row of a flow that carried a handshake and forgets the flow.
func (a *Analyzer) FlowEnd(f *analyzer.Flow) error {
	c := a.conns[f.UID]
	if c == nil {
		return nil
	}
	delete(a.conns, f.UID)
	return a.finish(c)
}

func (a *Analyzer) finish(c *conn) error {
	if c.dead || !(c.recognised() || c.isQUIC && len(c.notes) > 0) {
		return nil
	}
	if c.isQUIC && !c.established && c.q.opened && c.lastAlert < 0 {
		c.note("handshake not completed")
	}
	a.fill(c)
	for _, n := range c.notes {
		if _, ok := a.notes[n]; !ok && len(a.notes) >= maxNoteKinds {
			n = "(other notes)"
		}
		a.notes[n]++
	}
	return a.emit(&a.row)
}

// Close emits the rows of flows that never ended (the driver ends every flow first, so normally none).
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
		if err := a.finish(c); err != nil {
			return err
		}
	}
	return nil
}
