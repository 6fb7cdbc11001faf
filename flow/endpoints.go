package flow

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/schema"
)

// Endpoint is one row of the endpoints table: what one IP address sent and received, as Wireshark's Endpoints
// window (IPv4 and IPv6 tabs) counts it, plus how many peers and local ports it used.
type Endpoint struct {
	Addr               netip.Addr
	Packets, Bytes     int64 // frames and frame bytes sent or received
	TxPackets, TxBytes int64 // sent (the address is the source)
	RxPackets, RxBytes int64 // received
	Peers              int64 // distinct addresses it exchanged packets with
	Ports              int64 // distinct local TCP and UDP ports it used
	FirstTS, LastTS    int64 // first and last packet times
	PeersTruncated     bool  // Peers or Ports stopped growing at EndpointOptions.MaxPairs (a lower bound)
}

// Defaults of EndpointOptions.
const (
	DefaultMaxAddrs = 1 << 20
	DefaultMaxPairs = 1 << 21
)

// EndpointOptions configure Endpoints. The zero value selects the defaults.
type EndpointOptions struct {
	// MaxAddrs caps the addresses tracked; packets of further addresses are counted in EndpointStats.Dropped.
	// If <= 0, DefaultMaxAddrs.
	MaxAddrs int
	// MaxPairs caps the distinct (address, peer) and (address, port) pairs remembered to count peers and ports;
	// past it, counts are lower bounds and PeersTruncated is set. If <= 0, DefaultMaxPairs.
	MaxPairs int
}

// EndpointStats counts what Endpoints did.
type EndpointStats struct {
	Packets int64 // packets given to Add
	NotIP   int64 // packets without an IP header
	Dropped int64 // address records not made because MaxAddrs was reached
}

// Endpoints aggregates packets per IP address and emits one Endpoint per address, sorted by address, on Close.
// Memory grows with the number of distinct addresses and pairs, up to the caps of EndpointOptions.
type Endpoints struct {
	opts  EndpointOptions
	emit  func(*Endpoint) error
	addrs map[netip.Addr]*Endpoint
	pairs map[[32]byte]struct{}
	ports map[[19]byte]struct{}
	full  bool
	stats EndpointStats
	// recent remembers the conversations of recent packets (their endpoints, with their pair and ports already
	// counted), so that the packets of a conversation after its first cost no map lookup.
	recent *[recentSize]recentConv
}

// recentSize is the number of entries of Endpoints.recent (a power of two).
const recentSize = 1 << 12

// recentConv is what a packet of a conversation Endpoints saw recently needs: its endpoint records.
type recentConv struct {
	src, dst     netip.Addr
	sport, dport uint16
	proto        uint8
	ports        bool      // the ports were counted (TCP or UDP, not a fragment)
	esrc, edst   *Endpoint // nil: the entry is empty
}

// NewEndpoints returns an aggregator that calls emit for each address on Close. emit must not keep the
// *Endpoint after it returns.
func NewEndpoints(opts EndpointOptions, emit func(*Endpoint) error) *Endpoints {
	if opts.MaxAddrs <= 0 {
		opts.MaxAddrs = DefaultMaxAddrs
	}
	if opts.MaxPairs <= 0 {
		opts.MaxPairs = DefaultMaxPairs
	}
	return &Endpoints{opts: opts, emit: emit, addrs: make(map[netip.Addr]*Endpoint),
		pairs: make(map[[32]byte]struct{}), ports: make(map[[19]byte]struct{}), recent: new([recentSize]recentConv)}
}

// Stats returns the counters so far.
func (a *Endpoints) Stats() EndpointStats { return a.stats }

// Add counts one packet: the outermost IP header's source sent it and its destination received it.
func (a *Endpoints) Add(p *packet.Packet) error {
	a.stats.Packets++
	if p.Layers&(packet.HasIP4|packet.HasIP6) == 0 {
		a.stats.NotIP++
		return nil
	}
	wire := int64(p.WireLen)
	ports := p.Layers&(packet.HasTCP|packet.HasUDP) != 0 && p.Layers&packet.HasFragment == 0
	r := &a.recent[recentIndex(p.Src, p.Dst, p.SPort, p.DPort, p.Proto)]
	if r.esrc != nil && r.src == p.Src && r.dst == p.Dst && r.sport == p.SPort && r.dport == p.DPort && r.proto == p.Proto && r.ports == ports {
		// a conversation seen recently: its pair and ports are counted
		src, dst := r.esrc, r.edst
		src.TxPackets++
		src.TxBytes += wire
		src.FirstTS, src.LastTS = min(src.FirstTS, p.Time), max(src.LastTS, p.Time)
		dst.RxPackets++
		dst.RxBytes += wire
		dst.FirstTS, dst.LastTS = min(dst.FirstTS, p.Time), max(dst.LastTS, p.Time)
		return nil
	}
	src, dst := a.get(p.Src, p.Time), a.get(p.Dst, p.Time)
	if src != nil {
		src.TxPackets++
		src.TxBytes += wire
	}
	if dst != nil {
		dst.RxPackets++
		dst.RxBytes += wire
	}
	counted := src != nil && dst != nil
	if p.Src != p.Dst {
		counted = a.pair(p.Src, p.Dst, src, dst) && counted
	}
	if ports {
		counted = a.port(src, p.Proto, p.SPort) && counted
		counted = a.port(dst, p.Proto, p.DPort) && counted
	}
	if counted {
		*r = recentConv{src: p.Src, dst: p.Dst, sport: p.SPort, dport: p.DPort, proto: p.Proto, ports: ports, esrc: src, edst: dst}
	}
	return nil
}

// recentIndex is the entry of Endpoints.recent for a packet's addresses, ports and protocol.
func recentIndex(src, dst netip.Addr, sport, dport uint16, proto uint8) int {
	s, d := src.As16(), dst.As16()
	h := binary.LittleEndian.Uint64(s[:8])*0x9e3779b97f4a7c15 ^ binary.LittleEndian.Uint64(s[8:]) ^
		binary.LittleEndian.Uint64(d[:8])*0xc2b2ae3d27d4eb4f ^ binary.LittleEndian.Uint64(d[8:])*0x165667b19e3779f9 ^
		uint64(sport)<<40 ^ uint64(dport)<<16 ^ uint64(proto)
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return int(h & (recentSize - 1))
}

func (a *Endpoints) get(addr netip.Addr, ts int64) *Endpoint {
	e := a.addrs[addr]
	if e == nil {
		if len(a.addrs) >= a.opts.MaxAddrs {
			a.stats.Dropped++
			return nil
		}
		e = &Endpoint{Addr: addr, FirstTS: ts, LastTS: ts}
		a.addrs[addr] = e
	}
	e.FirstTS = min(e.FirstTS, ts)
	e.LastTS = max(e.LastTS, ts)
	return e
}

// pair counts the pair of addresses once; it reports false when the pair could not be remembered (MaxPairs).
func (a *Endpoints) pair(x, y netip.Addr, ex, ey *Endpoint) bool {
	bx, by := x.As16(), y.As16()
	if x.Less(y) {
		bx, by = by, bx
	}
	var k [32]byte
	copy(k[:16], bx[:])
	copy(k[16:], by[:])
	if _, ok := a.pairs[k]; ok {
		return true
	}
	if len(a.pairs)+len(a.ports) >= a.opts.MaxPairs {
		a.truncate(ex, ey)
		return false
	}
	a.pairs[k] = struct{}{}
	if ex != nil {
		ex.Peers++
	}
	if ey != nil {
		ey.Peers++
	}
	return true
}

// port counts the local port of an address once; it reports false when it could not (no record, MaxPairs).
func (a *Endpoints) port(e *Endpoint, proto uint8, port uint16) bool {
	if e == nil {
		return false
	}
	var k [19]byte
	b := e.Addr.As16()
	copy(k[:16], b[:])
	k[16] = proto
	k[17], k[18] = byte(port>>8), byte(port)
	if _, ok := a.ports[k]; ok {
		return true
	}
	if len(a.pairs)+len(a.ports) >= a.opts.MaxPairs {
		a.truncate(e, nil)
		return false
	}
	a.ports[k] = struct{}{}
	e.Ports++
	return true
}

func (a *Endpoints) truncate(es ...*Endpoint) {
	for _, e := range es {
		if e != nil {
			e.PeersTruncated = true
		}
	}
}

// Close emits every address, in address order (IPv4 before IPv6), and returns the first error from emit.
func (a *Endpoints) Close() error {
	list := make([]*Endpoint, 0, len(a.addrs))
	for _, e := range a.addrs {
		e.Packets = e.TxPackets + e.RxPackets
		e.Bytes = e.TxBytes + e.RxBytes
		list = append(list, e)
	}
	slices.SortFunc(list, func(x, y *Endpoint) int { return x.Addr.Compare(y.Addr) })
	for _, e := range list {
		if err := a.emit(e); err != nil {
			return err
		}
	}
	return nil
}

// EndpointTable is the endpoints table: one row per IP address.
var EndpointTable = &schema.Table[Endpoint]{
	Name: "endpoints",
	Doc:  "One row per IP address, in address order: packets and frame bytes it sent and received (as Wireshark's Endpoints window counts them), its peers and local ports.",
	Columns: []schema.Column[Endpoint]{
		{Name: "addr", Type: schema.String, Default: true, Doc: "IP address (outermost IP header).", Append: func(e *Endpoint, b []byte) ([]byte, bool) { return e.Addr.AppendTo(b), true }},
		epInt("packets", "Frames sent or received by the address (a frame to itself counts twice).", func(e *Endpoint) int64 { return e.Packets }),
		epInt("bytes", "Frame bytes sent or received.", func(e *Endpoint) int64 { return e.Bytes }),
		epInt("tx_packets", "Frames sent (the address is the source).", func(e *Endpoint) int64 { return e.TxPackets }),
		epInt("tx_bytes", "Frame bytes sent.", func(e *Endpoint) int64 { return e.TxBytes }),
		epInt("rx_packets", "Frames received (the address is the destination).", func(e *Endpoint) int64 { return e.RxPackets }),
		epInt("rx_bytes", "Frame bytes received.", func(e *Endpoint) int64 { return e.RxBytes }),
		epInt("peers", "Distinct addresses the address exchanged frames with.", func(e *Endpoint) int64 { return e.Peers }),
		epInt("ports", "Distinct local TCP and UDP ports the address used.", func(e *Endpoint) int64 { return e.Ports }),
		{Name: "first_ts", Type: schema.Timestamp, Default: true, Doc: "Time of the address's first frame (UTC, nanoseconds).", Int: func(e *Endpoint) (int64, bool) { return e.FirstTS, true }},
		{Name: "last_ts", Type: schema.Timestamp, Default: true, Doc: "Time of the address's last frame (UTC, nanoseconds).", Int: func(e *Endpoint) (int64, bool) { return e.LastTS, true }},
	},
}

func epInt(name, doc string, get func(*Endpoint) int64) schema.Column[Endpoint] {
	return schema.Column[Endpoint]{Name: name, Type: schema.Int64, Doc: doc, Default: true, Int: func(e *Endpoint) (int64, bool) { return get(e), true }}
}
