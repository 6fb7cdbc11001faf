package flow

import (
	"github.com/pcapframe/pcapframe/ipdefrag"
	"github.com/pcapframe/pcapframe/packet"
)

// Tunnel depth bounds.
const (
	DefaultMaxTunnelDepth = 8  // tunnels decoded inside one frame (Options.MaxTunnelDepth)
	maxTunnelDepth        = 16 // the most Options.MaxTunnelDepth may ask for
	maxParents            = 8  // tunnel_parents kept per flow
)

// Unwrapper turns a frame into the packets that flows count: the frame itself, what each tunnel it carries holds
// (GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP in IP, Teredo, MPLS; packet.Decoder.DecodeInner), to a depth limit, and
// the IP datagrams that fragments complete (package ipdefrag) in place of the fragments, at any depth. It owns
// the packets it passes on (they refer to the frame's bytes or to its reassembly buffers) and is not safe for
// concurrent use.
type Unwrapper struct {
	dec      *packet.Decoder
	defrag   *ipdefrag.Defragmenter
	maxDepth int
	levels   [maxTunnelDepth + 1]packet.Packet // decoded from the tunnel of the level above
	whole    [maxTunnelDepth + 1]packet.Packet // reassembled datagrams
	bufs     [maxTunnelDepth + 1][]byte
	stats    UnwrapStats
}

// UnwrapStats counts what an Unwrapper did.
type UnwrapStats struct {
	Fragments   int64          // fragments (at any depth) held for reassembly instead of counted
	Reassembled int64          // datagrams reassembled from them and counted
	Tunneled    int64          // packets decoded from inside a tunnel
	TooDeep     int64          // frames with tunnels below the depth limit, left undecoded
	Defrag      ipdefrag.Stats // the reassembler's own counters
}

// NewUnwrapper returns an Unwrapper that decodes at most maxDepth tunnels per frame (<= 0: DefaultMaxTunnelDepth;
// at most 16) and reassembles fragments within the bounds of defrag.
func NewUnwrapper(maxDepth int, defrag ipdefrag.Options) *Unwrapper {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxTunnelDepth
	}
	return &Unwrapper{dec: packet.NewDecoder(), defrag: ipdefrag.New(defrag), maxDepth: min(maxDepth, maxTunnelDepth)}
}

// Stats returns the counters so far.
func (u *Unwrapper) Stats() UnwrapStats {
	s := u.stats
	s.Defrag = u.defrag.Stats()
	return s
}

// Close drops the datagrams still incomplete.
func (u *Unwrapper) Close() { u.defrag.Close() }

// Each calls fn with each packet of frame p, outermost first, and its depth (the tunnels around it: 0 for the
// frame's own outermost IP header). A fragment that completes its datagram is replaced by the datagram, decoded
// as raw IP with the frame's Meta; a fragment that completes nothing is passed on as it is (q.IsFragment()) and
// ends the walk. The packets passed to fn are valid during the call only; p itself is passed unchanged when it is
// no fragment.
func (u *Unwrapper) Each(p *packet.Packet, fn func(q *packet.Packet, depth int) error) error {
	cur := p
	for depth := 0; ; depth++ {
		if cur.IsFragment() {
			buf, st := u.defrag.Add(u.bufs[depth][:0], cur.IP(), cur.Time, cur.Frame)
			u.bufs[depth] = buf
			switch st {
			case ipdefrag.Complete:
				u.stats.Fragments++
				u.stats.Reassembled++
				m := cur.Meta
				m.LinkType = packet.LinkRaw
				u.dec.Decode(&u.whole[depth], m, buf)
				cur = &u.whole[depth]
			case ipdefrag.NotFragment:
				// A fragment header the reassembler does not reach (past 16 extension headers): as it is.
			default:
				u.stats.Fragments++
				return fn(cur, depth) // held (or dropped): passed on, as a fragment, and the walk ends
			}
		}
		if depth > 0 {
			u.stats.Tunneled++
		}
		if err := fn(cur, depth); err != nil {
			return err
		}
		if !cur.Encapsulates() {
			return nil
		}
		if depth >= u.maxDepth {
			u.stats.TooDeep++
			return nil
		}
		q := &u.levels[depth+1]
		u.dec.DecodeInner(q, cur)
		cur = q
	}
}

// AddFrame counts one frame as flows see it after tunnels and IP reassembly (Unwrapper): the frame's own packet,
// unless it is a fragment, and every packet inside its tunnels get their flows, each inner flow recording the
// uids of the flows around it (Flow.TunnelParents, outermost first, as Zeek's tunnel_parents); the datagram a
// fragment completes counts once, at that fragment. fn, if not nil, is called with each packet counted and its
// flow (valid during the call only). Frames must come in capture order, as for Add; Add counts a frame by its
// outermost header only.
func (t *Tracker) AddFrame(p *packet.Packet, fn func(q *packet.Packet, f *Flow, fromOrig bool) error) error {
	if t.unwrap == nil {
		t.unwrap = NewUnwrapper(t.opts.MaxTunnelDepth, t.opts.Defrag)
	}
	t.cur = nil
	t.frames++
	chain := 0
	return t.unwrap.Each(p, func(q *packet.Packet, depth int) error {
		if q.IsFragment() {
			return nil // its datagram counts when it completes
		}
		if err := t.Add(q); err != nil {
			return err
		}
		e := t.cur
		if e == nil {
			return nil
		}
		if depth > 0 {
			e.addParents(t.chain[:chain], t.chainN[:chain])
		}
		if q.Encapsulates() && e.tunnelService == "" && int(q.Tunnel) < len(tunnelServices) {
			e.tunnelService = tunnelServices[q.Tunnel]
		}
		if chain < len(t.chain) {
			t.chain[chain] = e.uid
			t.chainN[chain] = e.uidN
			chain++
		}
		if fn == nil {
			return nil
		}
		return fn(q, &e.Flow, t.curOrig)
	})
}

// tunnelServices are Zeek's service names of the UDP tunnels (conn.log's service of the tunnel's own flow),
// by packet.Tunnel* kind; IP tunnels (GRE, IP in IP) have none.
var tunnelServices = [...]string{packet.TunnelVXLAN: "vxlan", packet.TunnelGTP: "gtpv1", packet.TunnelGeneve: "geneve",
	packet.TunnelTeredo: "teredo"}

// addParents records the uids of the flows around a tunnelled packet, each once.
func (e *entry) addParents(uids [][uidLen]byte, ns []uint8) {
	for i := range uids {
		id := uids[i][:ns[i]]
		known := string(id) == string(e.uid[:e.uidN]) // the same flow at two depths of one frame (hostile)
		for _, s := range e.TunnelParents() {
			if s == string(id) {
				known = true
				break
			}
		}
		if !known && int(e.parentsN) < maxParents {
			e.parents[e.parentsN] = string(id)
			e.parentsN++
		}
	}
}
