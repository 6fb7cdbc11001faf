package flow

import (
	"cmp"
	"slices"
	"time"

	"github.com/pcapframe/pcapframe/ipdefrag"
	"github.com/pcapframe/pcapframe/packet"
)

// Defaults of Options, Zeek's where Zeek has one.
const (
	DefaultTCPTimeout   = 5 * time.Minute // Zeek's tcp_inactivity_timeout
	DefaultUDPTimeout   = time.Minute     // Zeek's udp_inactivity_timeout
	DefaultICMPTimeout  = time.Minute     // Zeek's icmp_inactivity_timeout
	DefaultOtherTimeout = time.Minute     // other IP protocols
	DefaultLinger       = 5 * time.Second // Zeek's tcp_close_delay and tcp_reset_delay
	DefaultMaxFlows     = 1 << 18         // flows tracked at once
	DefaultMaxRecent    = 1 << 17         // ended conversations remembered for Wireshark's stream numbering
	noTimeout           = time.Duration(1<<63 - 1)
)

// Options configure a Tracker. The zero value selects the defaults; a negative timeout means never.
type Options struct {
	// TCPTimeout, UDPTimeout, ICMPTimeout and OtherTimeout end a flow after that long without a packet, in packet
	// time. Defaults: DefaultTCPTimeout etc.
	TCPTimeout, UDPTimeout, ICMPTimeout, OtherTimeout time.Duration
	// Linger is how long a TCP flow stays after both sides sent FIN or one sent RST, to collect the last ACKs
	// and retransmissions. Default DefaultLinger.
	Linger time.Duration
	// MaxFlows caps the flows tracked at once; when a new flow would exceed it, the least recently active flow
	// is emitted early (Stats.Evicted counts them). If <= 0, DefaultMaxFlows.
	MaxFlows int
	// MaxRecent caps the ended conversations remembered so that a conversation that reappears (after an idle
	// timeout, or late packets after its end) keeps its Wireshark stream index. If <= 0, DefaultMaxRecent.
	MaxRecent int
	// MaxTunnelDepth caps the tunnels AddFrame decodes inside one frame. If <= 0, DefaultMaxTunnelDepth (8); at
	// most 16.
	MaxTunnelDepth int
	// Defrag bounds the IP reassembly of AddFrame (datagrams in progress, bytes, fragments, timeout).
	Defrag ipdefrag.Options
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		switch {
		case *d == 0:
			*d = v
		case *d < 0:
			*d = noTimeout
		}
	}
	def(&o.TCPTimeout, DefaultTCPTimeout)
	def(&o.UDPTimeout, DefaultUDPTimeout)
	def(&o.ICMPTimeout, DefaultICMPTimeout)
	def(&o.OtherTimeout, DefaultOtherTimeout)
	def(&o.Linger, DefaultLinger)
	if o.MaxFlows <= 0 {
		o.MaxFlows = DefaultMaxFlows
	}
	if o.MaxRecent <= 0 {
		o.MaxRecent = DefaultMaxRecent
	}
	return o
}

// Stats counts what a Tracker did.
type Stats struct {
	Packets   int64       // packets given to Add
	Counted   int64       // packets counted in a flow
	NoFlow    int64       // packets in no flow: not IP, a non-first fragment, or a damaged transport header
	Flows     int64       // flows emitted
	Closed    int64       // flows emitted after their TCP close and linger
	TimedOut  int64       // flows emitted after their inactivity timeout
	Evicted   int64       // flows emitted early because MaxFlows was reached
	Reused    int64       // TCP flows ended by a new SYN on the same ports
	MaxActive int64       // most flows tracked at once
	Frames    int64       // frames given to AddFrame
	Unwrap    UnwrapStats // what AddFrame found in them: fragments, reassembled datagrams, tunnelled packets
}

// The lists of active flows, each in order of last activity, each with its own timeout.
const (
	listTCP = iota
	listUDP
	listICMP
	listOther
	listClosing // TCP flows after FIN from both sides or a RST, waiting out the linger time
	nLists
)

// entry is a tracked flow with its state.
type entry struct {
	Flow
	key         Key
	origIsLower bool // the originator is the key's lower endpoint
	order       int64
	last        int64 // time of the last packet (list order)
	list        int
	prev, next  *entry

	// TCP.
	ep       [2]epState // orig, resp
	seq      [2]seqSpace
	once     [2]uint16 // history letters recorded once, by bit
	flagSeq  [2][4]uint32
	flagSeen [2]uint8
	logCount [2][2]int64 // t and w events
	closed   bool

	// Wireshark's base sequence number per key direction (lower→upper, upper→lower), for its stream numbering.
	wsBase    [2]uint32
	wsBaseSet [2]bool

	// First payload bytes of each side, for service detection.
	head  [2][headLen]byte
	headN [2]uint8

	tunnelService string // Zeek's service name of a UDP tunnel the flow carried (AddFrame), e.g. vxlan
}

const headLen = 16

// recent is what is remembered of an ended conversation.
type recent struct {
	stream    int64
	wsBase    [2]uint32
	wsBaseSet [2]bool
}

// Tracker groups packets into flows and emits each flow when it ends. See the package documentation.
type Tracker struct {
	opts     Options
	emit     func(*Flow) error
	flows    map[Key]*entry
	lists    [nLists]struct{ head, tail *entry }
	timeouts [nLists]int64
	free     []*entry
	order    int64
	streams  [2]int64 // next tcp.stream, udp.stream

	recent     map[Key]recent
	recentRing []Key
	recentPos  int

	cur      *entry
	curOrig  bool
	stats    Stats
	closeErr bool

	// AddFrame: tunnels and reassembly, and the uids of the flows around the current packet.
	unwrap *Unwrapper
	frames int64
	chain  [maxTunnelDepth + 1][uidLen]byte
	chainN [maxTunnelDepth + 1]uint8
}

// NewTracker returns a tracker that calls emit with each flow as it ends. emit must not keep the *Flow after it
// returns; an error from emit is returned by the Add or Close that caused it.
func NewTracker(opts Options, emit func(*Flow) error) *Tracker {
	opts = opts.withDefaults()
	t := &Tracker{opts: opts, emit: emit, flows: make(map[Key]*entry), recent: make(map[Key]recent)}
	t.timeouts = [nLists]int64{
		listTCP: int64(opts.TCPTimeout), listUDP: int64(opts.UDPTimeout), listICMP: int64(opts.ICMPTimeout),
		listOther: int64(opts.OtherTimeout), listClosing: int64(opts.Linger),
	}
	return t
}

// Stats returns the counters so far.
func (t *Tracker) Stats() Stats {
	s := t.stats
	s.Frames = t.frames
	if t.unwrap != nil {
		s.Unwrap = t.unwrap.Stats()
	}
	return s
}

// Last returns the flow the packet last given to Add was counted in, and whether that packet came from the
// originator; f is nil if it was counted in none. f is valid until the next call to Add or Close.
func (t *Tracker) Last() (f *Flow, fromOrig bool) {
	if t.cur == nil {
		return nil, false
	}
	return &t.cur.Flow, t.curOrig
}

// Add counts one packet. Packets must come in capture order; flows that ended by then are emitted first.
func (t *Tracker) Add(p *packet.Packet) error {
	t.stats.Packets++
	t.cur = nil
	if err := t.expire(p.Time); err != nil {
		return err
	}
	tu, ok := PacketTuple(p)
	if !ok {
		t.stats.NoFlow++
		return nil
	}
	k, fromLower := tu.Key()
	kd := 0 // key direction of the packet: 0 lower→upper
	if !fromLower {
		kd = 1
	}
	pureSYN := tu.Proto == protoTCP && p.TCPFlags&(flagSYN|flagACK) == flagSYN
	e := t.flows[k]
	if e != nil && pureSYN && e.wsBaseSet[kd] && e.wsBase[kd] != p.Seq {
		// Wireshark starts a new tcp.stream here, and it is a new connection for Zeek too.
		if err := t.end(e, EndReused); err != nil {
			return err
		}
		e = nil
	}
	if e == nil {
		var err error
		if e, err = t.create(&k, &tu, fromLower, p, kd, pureSYN); err != nil {
			return err
		}
	}
	fromOrig := fromLower == e.origIsLower
	t.update(e, p, fromOrig, kd)
	t.cur, t.curOrig = e, fromOrig
	t.stats.Counted++
	return nil
}

// create starts tracking a new flow whose first packet is p.
func (t *Tracker) create(k *Key, tu *Tuple, fromLower bool, p *packet.Packet, kd int, pureSYN bool) (*entry, error) {
	if len(t.flows) >= t.opts.MaxFlows {
		if err := t.evictOne(); err != nil {
			return nil, err
		}
	}
	var e *entry
	if n := len(t.free); n > 0 {
		e = t.free[n-1]
		t.free = t.free[:n-1]
		*e = entry{}
	} else {
		e = new(entry)
	}
	e.key = *k
	e.order = t.order
	t.order++
	src, dst, sport, dport := tu.Src, tu.Dst, tu.SPort, tu.DPort
	e.origIsLower = fromLower
	flipped := false
	if tu.Proto == protoTCP && p.TCPFlags&(flagSYN|flagACK) == flagSYN|flagACK {
		// The first packet is a SYN-ACK: its receiver opened the connection.
		src, dst, sport, dport = dst, src, dport, sport
		e.origIsLower = !fromLower
		flipped = true
	}
	f := &e.Flow
	f.TS, f.EndTS = p.Time, p.Time
	f.FirstFrame = p.Frame
	f.OrigH, f.RespH, f.OrigP, f.RespP, f.Proto = src, dst, sport, dport, tu.Proto
	if tu.Proto == protoICMP || tu.Proto == protoICMPv6 {
		// Community ID hashes the type and code of the first packet.
		AppendCommunityID(f.cid[:0], 0, tu.Src, tu.Dst, tu.Proto, uint16(p.ICMPType), uint16(p.ICMPCode))
	} else {
		AppendCommunityID(f.cid[:0], 0, src, dst, tu.Proto, sport, dport)
	}
	f.setUID(k, p.Frame)
	if flipped {
		f.addHistory('^')
	}
	f.Stream = -1
	switch tu.Proto {
	case protoTCP, protoUDP:
		si := 0
		if tu.Proto == protoUDP {
			si = 1
		}
		if r, ok := t.recent[*k]; ok && !(pureSYN && r.wsBaseSet[kd] && r.wsBase[kd] != p.Seq) {
			f.Stream = r.stream
			e.wsBase, e.wsBaseSet = r.wsBase, r.wsBaseSet
		} else {
			f.Stream = t.streams[si]
			t.streams[si]++
		}
	}
	t.flows[*k] = e
	t.stats.MaxActive = max(t.stats.MaxActive, int64(len(t.flows)))
	e.list = listFor(tu.Proto)
	e.last = p.Time
	t.pushBack(e)
	return e, nil
}

func listFor(proto uint8) int {
	switch proto {
	case protoTCP:
		return listTCP
	case protoUDP:
		return listUDP
	case protoICMP, protoICMPv6:
		return listICMP
	}
	return listOther
}

// update counts packet p in flow e.
func (t *Tracker) update(e *entry, p *packet.Packet, fromOrig bool, kd int) {
	f := &e.Flow
	d := 0
	if !fromOrig {
		d = 1
	}
	if p.Time < f.TS {
		f.TS = p.Time
	}
	if p.Time > f.EndTS {
		f.EndTS = p.Time
	}
	f.LastFrame = p.Frame
	ipLen := int64(p.Len)
	if fromOrig {
		f.OrigPkts++
		f.OrigIPBytes += ipLen
		f.OrigWireBytes += int64(p.WireLen)
	} else {
		f.RespPkts++
		f.RespIPBytes += ipLen
		f.RespWireBytes += int64(p.WireLen)
	}
	plen := int64(0)
	if p.Has(packet.HasPayload) {
		plen = int64(p.PayloadLen)
	}
	if n := int(e.headN[d]); n < headLen {
		if pl := p.Payload(); len(pl) > 0 {
			e.headN[d] = uint8(n + copy(e.head[d][n:], pl))
		}
	}
	switch f.Proto {
	case protoTCP:
		t.tcp(e, p, d, kd, plen)
	case protoUDP:
		if plen > 0 {
			e.letterOnce(d, histData)
		}
		fallthrough
	default:
		if fromOrig {
			f.OrigBytes += plen
		} else {
			f.RespBytes += plen
		}
	}
	// Move to the back of its list: it is the most recently active.
	if e.list != listClosing {
		t.unlink(e)
		e.last = max(e.last, p.Time)
		t.pushBack(e)
	}
}

// History letters recorded once per direction, by bit.
const (
	histData = iota
	histAck
	histMulti // q
	histIncons
)

var onceLetters = [...]byte{histData: 'd', histAck: 'a', histMulti: 'q', histIncons: 'i'}

// letter appends a history letter for direction d (0 originator: upper case).
func (e *entry) letter(d int, c byte) {
	if d == 0 {
		c -= 'a' - 'A'
	}
	e.Flow.addHistory(c)
}

func (e *entry) letterOnce(d, which int) {
	if e.once[d]&(1<<which) != 0 {
		return
	}
	e.once[d] |= 1 << which
	e.letter(d, onceLetters[which])
}

// letterSeq records s, h, f or r (which 0..3) unless the last one of the kind had the same sequence number.
func (e *entry) letterSeq(d, which int, seq uint32) {
	bit := uint8(1) << which
	if e.flagSeen[d]&bit != 0 && e.flagSeq[d][which] == seq {
		return
	}
	e.flagSeen[d] |= bit
	e.flagSeq[d][which] = seq
	e.letter(d, "shfr"[which])
}

// letterLog records t or w (which 0, 1) the 1st, 10th, 100th, ... time.
func (e *entry) letterLog(d, which int) {
	e.logCount[d][which]++
	n := e.logCount[d][which]
	for n%10 == 0 {
		n /= 10
	}
	if n == 1 {
		e.letter(d, "tw"[which])
	}
}

// tcp runs the TCP part of update: state machine, sequence space and history.
func (t *Tracker) tcp(e *entry, p *packet.Packet, d, kd int, plen int64) {
	fl := p.TCPFlags
	syn, ack, fin, rst := fl&flagSYN != 0, fl&flagACK != 0, fl&flagFIN != 0, fl&flagRST != 0
	if !e.wsBaseSet[kd] {
		e.wsBaseSet[kd] = true
		if syn {
			e.wsBase[kd] = p.Seq
		} else {
			e.wsBase[kd] = p.Seq - 1
		}
	}
	me, peer := &e.seq[d], &e.seq[1-d]
	// Sequence space: a SYN (re)starts it while no data was seen; otherwise the first packet starts it.
	if syn && (!me.started || (!me.synSeen && me.maxEnd == 0)) {
		me.start(p.Seq, true)
	} else if !me.started && !rst {
		me.start(p.Seq, false)
	}
	dataSeq := p.Seq
	if syn {
		dataSeq++
	}
	retrans := false
	if plen > 0 && me.started {
		retrans = me.data(dataSeq, plen, int64(len(p.Payload())))
	}
	if fin && me.started {
		me.fin(dataSeq, plen)
	}
	if ack && !rst {
		peer.ack(p.Ack)
	}

	// History.
	switch {
	case syn && (fin || rst):
		e.letterOnce(d, histMulti)
	case fin && rst:
		e.letterOnce(d, histIncons)
	}
	if syn {
		if ack {
			e.letterSeq(d, 1, p.Seq)
		} else {
			e.letterSeq(d, 0, p.Seq)
		}
	}
	if plen > 0 {
		e.letterOnce(d, histData)
	} else if ack && !syn && !fin && !rst {
		e.letterOnce(d, histAck)
	}
	if fin {
		e.letterSeq(d, 2, p.Seq)
	}
	if rst {
		e.letterSeq(d, 3, p.Seq)
	}
	if retrans {
		e.letterLog(d, 0)
	}
	if p.Window == 0 && !syn && !fin && !rst {
		e.letterLog(d, 1)
	}

	// State machine.
	st, ps := &e.ep[d], &e.ep[1-d]
	switch {
	case rst:
		*st = epReset
	case syn && !ack:
		if *st == epInactive || *st == epPartial {
			*st = epSynSent
		}
	case syn && ack:
		if *st == epInactive || *st == epPartial || *st == epSynSent {
			*st = epSynAckSent
		}
	default:
		if fin {
			if *st != epReset {
				*st = epClosed
			}
		} else if *st == epInactive {
			*st = epPartial
		}
		if ack && (*st == epSynAckSent || (*st == epSynSent && *ps != epInactive)) {
			*st = epEstablished // an ACK after the handshake; a SYN never answered stays an attempt
		}
		if ack && (*ps == epSynSent || *ps == epSynAckSent) && !fin {
			*ps = epEstablished
		}
	}
	if !e.closed && (rst || (e.ep[0] == epClosed && e.ep[1] == epClosed)) {
		e.closed = true
		t.unlink(e)
		e.list = listClosing
		e.last = p.Time
		t.pushBack(e)
	}
}

// finish computes the columns known only at the end.
func (e *entry) finish() {
	f := &e.Flow
	switch f.Proto {
	case protoTCP:
		f.OrigBytes, f.RespBytes = e.seq[0].size(), e.seq[1].size()
		m0, g0 := e.seq[0].missed()
		m1, g1 := e.seq[1].missed()
		f.MissedBytes = m0 + m1
		for d, g := range [2]int64{g0, g1} {
			for n := g; n > 0; n /= 10 {
				e.letter(d, 'g')
			}
		}
		f.State = e.tcpState()
	case protoUDP:
		switch {
		case f.OrigPkts > 0 && f.RespPkts > 0:
			f.State = StateSF
		case f.OrigPkts > 0:
			f.State = StateS0
		default:
			f.State = StateSHR
		}
	default:
		f.State = StateOTH
	}
	f.Service = detectService(f.Proto, f.OrigP, f.RespP, e.head[0][:e.headN[0]], e.head[1][:e.headN[1]])
	if f.Service == "" {
		f.Service = e.tunnelService
	}
}

// tcpState is Zeek's conn_state function for TCP.
func (e *entry) tcpState() ConnState {
	os, rs := e.ep[0], e.ep[1]
	oInactive := os == epInactive || os == epPartial
	rInactive := rs == epInactive || rs == epPartial
	switch {
	case rs == epReset:
		switch {
		case os == epSynSent || os == epSynAckSent || (os == epReset && e.seq[0].size() == 0 && e.seq[1].size() == 0):
			return StateREJ
		case oInactive:
			return StateRSTRH
		}
		return StateRSTR
	case os == epReset:
		if rInactive {
			if e.synThenReset() {
				return StateRSTOS0
			}
			return StateOTH
		}
		return StateRSTO
	case rs == epClosed && os == epClosed:
		return StateSF
	case os == epClosed:
		if rInactive {
			return StateSH
		}
		return StateS2
	case rs == epClosed:
		if oInactive {
			return StateSHR
		}
		return StateS3
	case os == epSynSent && rs == epInactive:
		return StateS0
	case os == epEstablished && rs == epEstablished:
		return StateS1
	}
	return StateOTH
}

// synThenReset reports whether the history matches Zeek's /^\^?S[^HAFGIQ]*R.*/: an originator SYN, then an
// originator RST, with no originator SYN-ACK, ACK, FIN, gap, inconsistency or multi-flag packet between.
func (e *entry) synThenReset() bool {
	h := e.history[:e.historyN]
	if len(h) > 0 && h[0] == '^' {
		h = h[1:]
	}
	if len(h) == 0 || h[0] != 'S' {
		return false
	}
	for _, c := range h[1:] {
		switch c {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}

// expire emits the flows whose timeout passed at time now.
func (t *Tracker) expire(now int64) error {
	for l := range nLists {
		for {
			e := t.lists[l].head
			if e == nil || now-e.last <= t.timeouts[l] {
				break
			}
			reason := EndIdle
			if l == listClosing {
				reason = EndClosed
			}
			if err := t.end(e, reason); err != nil {
				return err
			}
		}
	}
	return nil
}

// evictOne emits the least recently active flow.
func (t *Tracker) evictOne() error {
	var oldest *entry
	for l := range nLists {
		if e := t.lists[l].head; e != nil && (oldest == nil || e.last < oldest.last) {
			oldest = e
		}
	}
	if oldest == nil {
		return nil
	}
	return t.end(oldest, EndEvicted)
}

// end emits flow e and forgets it, remembering its stream index.
func (t *Tracker) end(e *entry, reason EndReason) error {
	t.unlink(e)
	delete(t.flows, e.key)
	if t.cur == e {
		t.cur = nil
	}
	if e.Stream >= 0 {
		t.remember(e)
	}
	e.finish()
	e.Reason = reason
	t.stats.Flows++
	switch reason {
	case EndClosed:
		t.stats.Closed++
	case EndIdle:
		t.stats.TimedOut++
	case EndEvicted:
		t.stats.Evicted++
	case EndReused:
		t.stats.Reused++
	}
	err := t.emit(&e.Flow)
	t.free = append(t.free, e)
	return err
}

// remember keeps e's stream numbering state in a bounded FIFO.
func (t *Tracker) remember(e *entry) {
	if _, ok := t.recent[e.key]; !ok {
		if len(t.recentRing) < t.opts.MaxRecent {
			t.recentRing = append(t.recentRing, e.key)
		} else {
			delete(t.recent, t.recentRing[t.recentPos])
			t.recentRing[t.recentPos] = e.key
			t.recentPos = (t.recentPos + 1) % len(t.recentRing)
		}
	}
	t.recent[e.key] = recent{stream: e.Stream, wsBase: e.wsBase, wsBaseSet: e.wsBaseSet}
}

// Close emits every flow still tracked, in the order of their first packets, and returns the first error from
// emit.
func (t *Tracker) Close() error {
	t.cur = nil
	if t.unwrap != nil {
		t.unwrap.Close()
	}
	open := make([]*entry, 0, len(t.flows))
	for _, e := range t.flows {
		open = append(open, e)
	}
	slices.SortFunc(open, func(a, b *entry) int { return cmp.Compare(a.order, b.order) })
	for _, e := range open {
		if err := t.end(e, EndFlush); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tracker) pushBack(e *entry) {
	l := &t.lists[e.list]
	e.prev, e.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = e
	} else {
		l.head = e
	}
	l.tail = e
}

func (t *Tracker) unlink(e *entry) {
	l := &t.lists[e.list]
	if e.prev != nil {
		e.prev.next = e.next
	} else if l.head == e {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else if l.tail == e {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
}
