package ssh

import (
	"bytes"
	"cmp"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/pcapframe/pcapframe/analyzer"
)

// Bounds on what one connection may hold.
const (
	maxLine     = 1024 // bytes of an identification line (or a line before the server's), line end included
	maxPreLines = 32   // lines a server may send before its identification
	// MaxPacket caps a clear-text binary packet (packet_length field plus its 4 bytes); RFC 4253 §6.1 asks
	// implementations to take 35000.
	MaxPacket = 64 << 10
	maxNotes  = 8
)

// Message numbers (RFC 4253 §12).
const (
	msgKexInit = 20
	msgNewKeys = 21
)

// The ten name-lists of SSH_MSG_KEXINIT, in order (RFC 4253 §7.1).
const (
	listKex = iota
	listHostKey
	listEncC2S
	listEncS2C
	listMACC2S
	listMACS2C
	listCompC2S
	listCompS2C
	listLangC2S
	listLangS2C
	nLists
)

const (
	client = 0
	server = 1
)

// The phases of one side.
const (
	phaseIdent     = iota // reading lines until the identification
	phasePackets          // clear-text binary packets until NEWKEYS
	phaseEncrypted        // after NEWKEYS: sizes only
	phaseDead             // no longer parsed
)

// side is the state of one direction of a connection.
type side struct {
	phase    int
	buf      []byte // a partial line or packet
	lines    int
	ident    string
	kexinit  bool
	lists    *[nLists]string // the KEXINIT's name-lists (nil before it: most connections are not SSH)
	frame    int64           // of the KEXINIT
	sawBytes bool
}

// conn is the state of one TCP connection.
type conn struct {
	uid, communityID string
	orig, resp       netip.AddrPort
	start            int64
	s                [2]side
	isSSH            bool // a side sent an identification line
	notSSH           bool // the client's first bytes are not an identification: left alone
	version          int
	gap              bool
	notes            []string

	// Zeek's inference of the authentication outcome (SSH.cc ProcessEncrypted).
	sawEncClient        bool
	serviceAcceptSize   int
	userauthFailureSize int
	skippedBanner       bool
	decided             bool
	hasAuth, success    bool
	attempts            int
}

func (c *conn) note(s string) {
	if len(c.notes) < maxNotes && !slices.Contains(c.notes, s) {
		c.notes = append(c.notes, s)
	}
}

// Analyzer builds the ssh table: it implements analyzer.Analyzer and analyzer.Service.
type Analyzer struct {
	emit  func(*Row) error
	conns map[string]*conn
	row   Row
}

var (
	_ analyzer.Analyzer   = (*Analyzer)(nil)
	_ analyzer.Service    = (*Analyzer)(nil)
	_ analyzer.StreamDone = (*handler)(nil)
)

// New returns an analyzer that calls emit with one row per SSH connection, when its flow ends. The row is
// reused after emit returns.
func New(emit func(*Row) error) *Analyzer {
	return &Analyzer{emit: emit, conns: map[string]*conn{}}
}

// Packet does nothing: SSH is read from the reassembled streams.
func (a *Analyzer) Packet(*analyzer.Packet) error { return nil }

// Stream returns the handler of a TCP connection: every connection is looked at, SSH being recognised by its
// identification lines whatever the port.
func (a *Analyzer) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	c := &conn{uid: strings.Clone(f.UID), communityID: strings.Clone(f.CommunityID), orig: f.Orig, resp: f.Resp, start: f.Start}
	a.conns[c.uid] = c
	return &handler{c: c}
}

type handler struct{ c *conn }

func (h *handler) Data(fromOrig bool, data []byte, frame, _ int64) error {
	d := server
	if fromOrig {
		d = client
	}
	h.c.data(d, data, frame)
	return nil
}

func (h *handler) Gap(fromOrig bool, n int64, _, _ int64) error {
	c := h.c
	if c.notSSH {
		return nil
	}
	d := server
	if fromOrig {
		d = client
	}
	c.gap = true // as Zeek: no more parsing nor inference after a gap
	if c.s[d].phase != phaseEncrypted && c.s[d].phase != phaseDead && c.isSSH {
		c.note(fmt.Sprintf("gap of %d bytes in the %s's clear text", n, sideName(d)))
	}
	c.s[d].phase = phaseDead
	c.s[d].buf = nil
	return nil
}

func (h *handler) End() error { return nil }

// Done reports that nothing more of the connection matters: it is not SSH, or the authentication was decided
// (or cannot be any more) and both sides' clear text is over.
func (h *handler) Done() bool {
	c := h.c
	if c.notSSH {
		return true
	}
	over := func(d int) bool { return c.s[d].phase == phaseDead || c.s[d].phase == phaseEncrypted }
	return over(client) && over(server) && (c.decided || c.gap || c.version != 2)
}

func sideName(d int) string {
	if d == client {
		return "client"
	}
	return "server"
}

// data consumes bytes of one side.
func (c *conn) data(d int, b []byte, frame int64) {
	if c.notSSH {
		return
	}
	s := &c.s[d]
	if d == client && !s.sawBytes && len(b) > 0 {
		s.sawBytes = true
		// The client's first bytes are its identification (RFC 4253 §4.2): anything else is another protocol.
		n := min(len(b), 4)
		if !bytes.Equal(b[:n], []byte("SSH-")[:n]) {
			c.notSSH = true
			return
		}
	}
	for len(b) > 0 {
		switch s.phase {
		case phaseIdent:
			b = c.ident(d, b)
		case phasePackets:
			b = c.packet(d, b, frame)
		case phaseEncrypted:
			if !c.gap && !c.decided && c.version == 2 {
				c.encrypted(d, len(b))
			}
			return
		default:
			return
		}
	}
}

// ident reads the lines of one side until its identification line and returns what follows.
func (c *conn) ident(d int, b []byte) []byte {
	s := &c.s[d]
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(s.buf)+len(b) > maxLine {
			c.note("identification line of the " + sideName(d) + " longer than 1024 bytes")
			s.phase, s.buf = phaseDead, nil
			if !c.isSSH {
				c.notSSH = true
			}
			return nil
		}
		s.buf = append(s.buf, b...)
		return nil
	}
	if len(s.buf)+i+1 > maxLine {
		c.note("identification line of the " + sideName(d) + " longer than 1024 bytes")
		s.phase, s.buf = phaseDead, nil
		if !c.isSSH {
			c.notSSH = true
		}
		return nil
	}
	line := append(s.buf, b[:i]...)
	rest := b[i+1:]
	s.buf = s.buf[:0]
	line = bytes.TrimSuffix(line, []byte("\r"))
	if !bytes.HasPrefix(line, []byte("SSH-")) {
		s.lines++
		if d == client || s.lines > maxPreLines {
			if c.isSSH {
				c.note("the " + sideName(d) + " sent no identification line")
			} else {
				c.notSSH = true
			}
			s.phase, s.buf = phaseDead, nil
			return nil
		}
		return rest
	}
	s.ident = string(line)
	c.isSSH = true
	v := 2
	if !bytes.HasPrefix(line, []byte("SSH-2.0-")) && !bytes.HasPrefix(line, []byte("SSH-1.99-")) {
		v = 1
		if !bytes.HasPrefix(line, []byte("SSH-1.")) {
			c.note("unknown protocol version in " + sideName(d) + "'s identification")
		}
	}
	if c.version == 0 || v < c.version {
		c.version = v
	}
	if v == 1 {
		// SSH 1 packets are another format, not read here.
		s.phase, s.buf = phaseDead, nil
		return nil
	}
	s.phase, s.buf = phasePackets, nil
	return rest
}

// packet reads a clear-text binary packet of one side and returns what follows it (nil when the packet is not
// complete yet: its start is kept, at most MaxPacket bytes).
func (c *conn) packet(d int, b []byte, frame int64) []byte {
	s := &c.s[d]
	if len(s.buf)+len(b) < 4 {
		s.buf = append(s.buf, b...)
		return nil
	}
	var hdr [4]byte
	n := copy(hdr[:], s.buf)
	copy(hdr[n:], b)
	plen := binary.BigEndian.Uint32(hdr[:])
	if plen < 5 || plen > MaxPacket-4 {
		c.note(fmt.Sprintf("the %s's packet length %d is out of bounds", sideName(d), plen))
		s.phase, s.buf = phaseDead, nil
		return nil
	}
	total := 4 + int(plen)
	var pkt, rest []byte
	if len(s.buf) == 0 && len(b) >= total {
		pkt, rest = b[:total], b[total:] // a whole packet: read in place
	} else {
		take := min(total-len(s.buf), len(b))
		s.buf = append(s.buf, b[:take]...)
		rest = b[take:]
		if len(s.buf) < total {
			return nil
		}
		pkt = s.buf
	}
	c.message(d, pkt, frame)
	s.buf = s.buf[:0]
	if s.phase != phasePackets {
		s.buf = nil
		if s.phase == phaseEncrypted && len(rest) > 0 && !c.gap && !c.decided && c.version == 2 {
			c.encrypted(d, len(rest))
		}
		return nil
	}
	return rest
}

// message handles one clear-text packet.
func (c *conn) message(d int, pkt []byte, frame int64) {
	s := &c.s[d]
	pad := int(pkt[4])
	end := len(pkt) - pad
	if end <= 5 {
		c.note(fmt.Sprintf("the %s's padding length %d exceeds its packet", sideName(d), pad))
		s.phase = phaseDead
		return
	}
	payload := pkt[5:end]
	switch payload[0] {
	case msgKexInit:
		if s.kexinit {
			return
		}
		lists, ok := parseKexInit(payload)
		if !ok {
			c.note("malformed KEXINIT from the " + sideName(d))
			return
		}
		s.kexinit, s.lists, s.frame = true, &lists, frame
	case msgNewKeys:
		s.phase = phaseEncrypted
	}
}

// parseKexInit reads the ten name-lists of an SSH_MSG_KEXINIT payload (message number, 16-byte cookie, lists).
func parseKexInit(p []byte) (lists [nLists]string, ok bool) {
	if len(p) < 17 {
		return lists, false
	}
	p = p[17:]
	for i := range nLists {
		if len(p) < 4 {
			return lists, false
		}
		n := binary.BigEndian.Uint32(p)
		if uint64(n) > uint64(len(p)-4) {
			return lists, false
		}
		lists[i] = string(p[4 : 4+n])
		p = p[4+n:]
	}
	return lists, true
}

// encrypted is Zeek's ProcessEncrypted: one segment of n encrypted bytes of side d.
func (c *conn) encrypted(d, n int) {
	if d == client {
		c.sawEncClient = true
		return
	}
	if !c.sawEncClient {
		return
	}
	if c.serviceAcceptSize == 0 {
		c.serviceAcceptSize = n
		return
	}
	if c.userauthFailureSize == 0 && n+16 == c.serviceAcceptSize {
		c.decided = true
		c.attempt(true)
		return
	}
	if c.userauthFailureSize == 0 {
		if !c.skippedBanner && n-c.serviceAcceptSize > 256 {
			c.skippedBanner = true
			return
		}
		c.userauthFailureSize = n
		return
	}
	if n == c.userauthFailureSize {
		c.attempt(false)
		return
	}
	if n-c.serviceAcceptSize == -16 {
		c.decided = true
		c.attempt(true)
	}
}

// attempt is main.zeek's ssh_auth_attempted: the outcome of the last attempt, true for good once true.
func (c *conn) attempt(ok bool) {
	if c.hasAuth && c.success {
		return
	}
	c.hasAuth, c.success = true, ok
	c.attempts++
}

// negotiate is RFC 4253 §7.1: the first algorithm of the client's name-list that the server's contains.
func negotiate(clientList, serverList string) (string, bool) {
	if clientList == "" || serverList == "" {
		return "", false
	}
	for alg := range strings.SplitSeq(clientList, ",") {
		for s := range strings.SplitSeq(serverList, ",") {
			if s == alg {
				return alg, true
			}
		}
	}
	return "", false
}

// bidirectional is Zeek's find_bidirectional_alg.
func (c *conn) bidirectional(what string, c2s, s2c int) string {
	cl, sl := c.s[client].lists, c.s[server].lists
	a, ok1 := negotiate(cl[c2s], sl[c2s])
	b, ok2 := negotiate(cl[s2c], sl[s2c])
	if !ok1 || !ok2 {
		c.note("no common " + what + " algorithm")
	}
	if a == b {
		return a
	}
	return "to server: " + a + ", to client: " + b
}

func hassh(lists *[nLists]string, enc, mac, comp int) (sum, algs string) {
	algs = lists[listKex] + ";" + lists[enc] + ";" + lists[mac] + ";" + lists[comp]
	h := md5.Sum([]byte(algs))
	return hex.EncodeToString(h[:]), algs
}

func local(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast()
}

// fill builds the row of a connection.
func (a *Analyzer) fill(c *conn) {
	r := &a.row
	*r = Row{TS: c.start, UID: c.uid, CommunityID: c.communityID, OrigH: c.orig.Addr(), OrigP: c.orig.Port(),
		RespH: c.resp.Addr(), RespP: c.resp.Port(), Version: c.version, Client: c.s[client].ident, Server: c.s[server].ident,
		HasAuth: c.hasAuth, AuthSuccess: c.success, AuthAttempts: c.attempts}
	switch lo, ro := local(r.OrigH), local(r.RespH); {
	case lo && !ro:
		r.Direction = "OUTBOUND"
	case !lo && ro:
		r.Direction = "INBOUND"
	}
	cs, ss := &c.s[client], &c.s[server]
	if cs.kexinit {
		r.HASSH, r.HASSHAlgorithms = hassh(cs.lists, listEncC2S, listMACC2S, listCompC2S)
		r.ClientKexAlgs, r.ClientHostKeyAlgs, r.ClientKexInitFrame = cs.lists[listKex], cs.lists[listHostKey], cs.frame
	}
	if ss.kexinit {
		r.HASSHServer, r.HASSHServerAlgorithms = hassh(ss.lists, listEncS2C, listMACS2C, listCompS2C)
		r.ServerKexAlgs, r.ServerHostKeyAlgs, r.ServerKexInitFrame = ss.lists[listKex], ss.lists[listHostKey], ss.frame
	}
	if cs.kexinit && ss.kexinit {
		var ok bool
		if r.KexAlg, ok = negotiate(cs.lists[listKex], ss.lists[listKex]); !ok {
			c.note("no common kex algorithm")
		}
		if r.HostKeyAlg, ok = negotiate(cs.lists[listHostKey], ss.lists[listHostKey]); !ok {
			c.note("no common host key algorithm")
		}
		r.CipherAlg = c.bidirectional("encryption", listEncC2S, listEncS2C)
		r.MACAlg = c.bidirectional("mac", listMACC2S, listMACS2C)
		r.CompressionAlg = c.bidirectional("compression", listCompC2S, listCompS2C)
	}
	r.Note = strings.Join(c.notes, "; ")
}

// Service names the protocol of a flow the analyzer recognised: "ssh", else "".
func (a *Analyzer) Service(uid string) string {
	if c := a.conns[uid]; c != nil && c.isSSH && !c.notSSH {
		return "ssh"
	}
	return ""
}

// FlowEnd emits the row of a flow that carried SSH and forgets the flow.
func (a *Analyzer) FlowEnd(f *analyzer.Flow) error {
	c := a.conns[f.UID]
	if c == nil {
		return nil
	}
	delete(a.conns, f.UID)
	return a.finish(c)
}

func (a *Analyzer) finish(c *conn) error {
	if !c.isSSH || c.notSSH {
		return nil
	}
	a.fill(c)
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
