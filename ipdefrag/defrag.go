package ipdefrag

import (
	"encoding/binary"
	"slices"
	"time"
)

// Defaults of Options.
const (
	DefaultMaxDatagrams = 4096
	DefaultMaxBytes     = 16 << 20
	DefaultMaxFragments = 1024
	DefaultTimeout      = 60 * time.Second
	maxDatagram         = 65535   // largest IPv4 total length and IPv6 payload length
	maxFree             = 1024    // datagrams kept for reuse
	maxFreeBytes        = 4 << 20 // and their buffers' bytes
)

// Options bound a Defragmenter. The zero value selects the defaults.
type Options struct {
	MaxDatagrams int           // datagrams in progress at once; if <= 0, DefaultMaxDatagrams
	MaxBytes     int           // fragment bytes held across the datagrams in progress; if <= 0, DefaultMaxBytes
	MaxFragments int           // fragments held per datagram; if <= 0, DefaultMaxFragments
	Timeout      time.Duration // packet time from a datagram's first fragment to its end; if <= 0, DefaultTimeout
}

func (o Options) withDefaults() Options {
	if o.MaxDatagrams <= 0 {
		o.MaxDatagrams = DefaultMaxDatagrams
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxFragments <= 0 {
		o.MaxFragments = DefaultMaxFragments
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// Status is what Add did with a packet.
type Status uint8

// The results of Add.
const (
	NotFragment Status = iota // not a fragment (or not an IP packet Add understands): the caller uses it as it is
	Held                      // a fragment, held until its datagram is complete
	Complete                  // the fragment completed its datagram: Add returned the reassembled packet
	Dropped                   // a fragment that cannot be used (see Stats); its datagram may have been dropped too
)

var statusNames = [...]string{"not a fragment", "held", "complete", "dropped"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// Stats counts what a Defragmenter did.
type Stats struct {
	Fragments   int64 // fragments given to Add
	Datagrams   int64 // datagrams reassembled
	Overlaps    int64 // fragments that overlapped bytes already held (resolved as Wireshark does)
	Duplicates  int64 // fragments whose bytes were all held already (a subset of Overlaps)
	TimedOut    int64 // datagrams dropped incomplete after Timeout
	Evicted     int64 // datagrams dropped incomplete to stay within MaxDatagrams or MaxBytes
	TooMany     int64 // datagrams dropped for holding more than MaxFragments fragments
	Oversized   int64 // fragments dropped for reaching beyond 65,535 bytes
	Truncated   int64 // datagrams dropped because a fragment was cut by the snap length
	Malformed   int64 // fragments dropped for a bad header (empty, or a length that contradicts the header)
	Incomplete  int64 // datagrams still in progress at Close
	MaxPending  int64 // most datagrams in progress at once
	MaxHeldByte int64 // most fragment bytes held at once
}

type key [38]byte // version, protocol (IPv4), source, destination, identification

type frag struct {
	start, end int32 // byte range in the datagram's fragmentable part
	off        int32 // where its bytes are in the datagram's buffer
	seq        int32 // order of arrival
}

type datagram struct {
	k        key
	frags    []frag // sorted by start, then arrival
	buf      []byte // fragment bytes, in arrival order
	hdr      []byte // IPv4 header, or IPv6 unfragmentable part, of the fragment at offset 0
	hasFirst bool
	nhAt     int   // IPv6: where in hdr the next-header byte that named the fragment header is
	nh       uint8 // IPv6: the next header after the fragment header (of the first fragment)
	v6       bool
	end      int32 // end of the datagram's fragmentable part, from the final fragment; -1 until then
	frames   []int64
	first    int64 // time of the first fragment
	prev     *datagram
	next     *datagram
}

// Defragmenter reassembles IP datagrams from their fragments. It is not safe for concurrent use.
type Defragmenter struct {
	opts    Options
	m       map[key]*datagram
	head    *datagram // oldest first
	tail    *datagram
	free    []*datagram
	freeCap int // bytes of the free datagrams' buffers
	held    int // bytes held across datagrams
	stats   Stats
	frames  []int64
}

// New returns a Defragmenter with the given bounds.
func New(opts Options) *Defragmenter {
	return &Defragmenter{opts: opts.withDefaults(), m: make(map[key]*datagram)}
}

// Stats returns the counters so far.
func (d *Defragmenter) Stats() Stats { return d.stats }

// Pending returns the number of datagrams in progress.
func (d *Defragmenter) Pending() int { return len(d.m) }

// Frames returns the frame numbers of the fragments of the datagram that the last Add completed, in arrival
// order (the last is the frame that completed it). It is valid until the next call to Add.
func (d *Defragmenter) Frames() []int64 { return d.frames }

// EarliestSince returns the smallest frame number, not below since, of a first fragment of a datagram still in
// progress: the fragment a caller that hands its frames on in batches would keep back so that the datagram's
// frames can still be tied together when it completes. ok is false when there is none.
func (d *Defragmenter) EarliestSince(since int64) (frame int64, ok bool) {
	// Datagrams are listed in the order of their first fragments: walk back from the newest.
	for g := d.tail; g != nil && len(g.frames) > 0 && g.frames[0] >= since; g = g.prev {
		frame, ok = g.frames[0], true
	}
	return frame, ok
}

// fragInfo is what the header of a fragment says.
type fragInfo struct {
	k        key
	v6       bool
	start    int
	more     bool
	payload  []byte // the fragment's bytes of the fragmentable part
	declared int    // their length according to the header
	hdr      []byte // IPv4 header, or IPv6 unfragmentable part
	nhAt     int    // IPv6: index in hdr of the next-header byte naming the fragment header
	nh       uint8  // IPv6: next header after the fragment header
}

// parse reads the fragment fields of an IP packet. ok is false for anything that is not a fragment; bad is true
// for a fragment whose header is inconsistent.
func parse(ip []byte) (fi fragInfo, ok, bad bool) {
	if len(ip) < 1 {
		return fi, false, false
	}
	switch ip[0] >> 4 {
	case 4:
		if len(ip) < 20 {
			return fi, false, false
		}
		ihl := int(ip[0]&0x0f) * 4
		tot := int(binary.BigEndian.Uint16(ip[2:4]))
		fo := binary.BigEndian.Uint16(ip[6:8])
		more := fo&0x2000 != 0
		off := int(fo&0x1fff) * 8
		if !more && off == 0 {
			return fi, false, false
		}
		if ihl < 20 || tot < ihl || len(ip) < ihl {
			return fi, true, true
		}
		fi.k[0] = 4
		fi.k[1] = ip[9]
		copy(fi.k[2:6], ip[12:16])
		copy(fi.k[18:22], ip[16:20])
		copy(fi.k[34:36], ip[4:6])
		fi.start, fi.more = off, more
		fi.declared = tot - ihl
		fi.payload = ip[ihl:min(len(ip), tot)]
		fi.hdr = ip[:ihl]
		return fi, true, false
	case 6:
		if len(ip) < 40 {
			return fi, false, false
		}
		plen := int(binary.BigEndian.Uint16(ip[4:6]))
		nh := ip[6]
		nhAt := 6
		pos := 40
		for range 16 { // bounded walk of the extension headers before the fragment header
			switch nh {
			case 0, 43, 60, 135, 139, 140, 51:
				if len(ip) < pos+2 {
					return fi, false, false
				}
				hl := (int(ip[pos+1]) + 1) * 8
				if nh == 51 {
					hl = (int(ip[pos+1]) + 2) * 4
				}
				nhAt = pos
				nh = ip[pos]
				pos += hl
				continue
			case 44:
				if len(ip) < pos+8 {
					return fi, false, false
				}
				fo := binary.BigEndian.Uint16(ip[pos+2 : pos+4])
				fi.k[0] = 6
				copy(fi.k[2:18], ip[8:24])
				copy(fi.k[18:34], ip[24:40])
				copy(fi.k[34:38], ip[pos+4:pos+8])
				fi.v6 = true
				fi.start, fi.more = int(fo>>3)*8, fo&1 != 0
				fi.nh, fi.nhAt = ip[pos], nhAt
				fi.hdr = ip[:pos]
				end := 40 + plen
				if plen == 0 || end < pos+8 {
					return fi, true, true // a jumbogram cannot be fragmented; a payload length too short
				}
				fi.declared = end - pos - 8
				fi.payload = ip[pos+8 : min(len(ip), end)]
				return fi, true, false
			}
			return fi, false, false
		}
		return fi, false, false
	}
	return fi, false, false
}

// Add takes the next IP packet of the capture (ip: from its IP header on, as captured; time in nanoseconds of
// packet time; frame its frame number). For a fragment that completes its datagram it appends the reassembled
// IP packet to dst and returns it with Complete; otherwise it returns dst unchanged. Add keeps no reference to
// ip.
func (d *Defragmenter) Add(dst, ip []byte, time, frame int64) ([]byte, Status) {
	d.frames = d.frames[:0]
	fi, ok, bad := parse(ip)
	if !ok {
		return dst, NotFragment
	}
	d.stats.Fragments++
	d.expire(time)
	if bad {
		d.stats.Malformed++
		return dst, Dropped
	}
	length := fi.declared
	if length <= 0 {
		d.stats.Malformed++
		return dst, Dropped
	}
	limit := maxDatagram
	if fi.v6 {
		limit -= len(fi.hdr) - 40 // the unfragmentable extension headers count in the payload length
	} else {
		limit -= len(fi.hdr)
	}
	if fi.start+length > limit {
		d.stats.Oversized++
		return dst, Dropped
	}
	if !fi.more && fi.start == 0 {
		// An atomic IPv6 fragment (RFC 6946): a whole datagram.
		if len(fi.payload) < length {
			d.stats.Truncated++
			return dst, Dropped
		}
		d.stats.Datagrams++
		d.frames = append(d.frames, frame)
		return build(dst, fi.hdr, fi.v6, fi.nhAt, fi.nh, fi.payload[:length]), Complete
	}
	g := d.m[fi.k]
	if len(fi.payload) < length {
		// Cut by the snap length: this datagram can never be whole.
		d.stats.Truncated++
		if g != nil {
			d.drop(g)
		}
		return dst, Dropped
	}
	if g == nil {
		for len(d.m) >= d.opts.MaxDatagrams && d.head != nil {
			d.stats.Evicted++
			d.drop(d.head)
		}
		g = d.newDatagram(fi.k, fi.v6, time)
	}
	if len(g.frags) >= d.opts.MaxFragments {
		d.stats.TooMany++
		d.drop(g)
		return dst, Dropped
	}
	for d.held+length > d.opts.MaxBytes && d.head != nil && d.head != g {
		d.stats.Evicted++
		d.drop(d.head)
	}
	if d.held+length > d.opts.MaxBytes {
		d.stats.Evicted++
		d.drop(g)
		return dst, Dropped
	}
	start, end := int32(fi.start), int32(fi.start+length)
	// Overlap with what is held (a sorted list: the fragments that end after start and begin before end).
	i, _ := slices.BinarySearchFunc(g.frags, start, func(f frag, s int32) int {
		if f.start <= s {
			return -1
		}
		return 1
	})
	overlap, covered := false, false
	for j := range g.frags {
		f := &g.frags[j]
		if f.start < end && f.end > start {
			overlap = true
			if f.start <= start && f.end >= end {
				covered = true
			}
		}
	}
	if overlap {
		d.stats.Overlaps++
		if covered {
			d.stats.Duplicates++
		}
	}
	g.frags = slices.Insert(g.frags, i, frag{start: start, end: end, off: int32(len(g.buf)), seq: int32(len(g.frames))})
	g.buf = append(g.buf, fi.payload[:length]...)
	d.held += length
	g.frames = append(g.frames, frame)
	if fi.start == 0 && !g.hasFirst {
		g.hasFirst = true
		g.hdr = append(g.hdr[:0], fi.hdr...)
		g.nhAt, g.nh = fi.nhAt, fi.nh
	}
	if !fi.more && g.end < 0 {
		g.end = end // the first final fragment fixes the end, as in Wireshark
	}
	d.stats.MaxPending = max(d.stats.MaxPending, int64(len(d.m)))
	d.stats.MaxHeldByte = max(d.stats.MaxHeldByte, int64(d.held))
	if g.end < 0 || !g.hasFirst {
		return dst, Held
	}
	// Complete when the fragments cover [0, end) without a hole.
	pos := int32(0)
	for _, f := range g.frags {
		if f.start > pos {
			return dst, Held
		}
		pos = max(pos, f.end)
		if pos >= g.end {
			break
		}
	}
	if pos < g.end {
		return dst, Held
	}
	// Every byte from the fragment with the lowest offset covering it (ties: the first received).
	dst = appendHeader(dst, g.hdr, g.v6, g.nhAt, g.nh, int(g.end))
	pos = 0
	for _, f := range g.frags {
		if f.end <= pos || pos >= g.end {
			continue
		}
		from := max(pos, f.start)
		to := min(f.end, g.end)
		dst = append(dst, g.buf[f.off+(from-f.start):f.off+(to-f.start)]...)
		pos = to
	}
	d.frames = append(d.frames, g.frames...)
	d.stats.Datagrams++
	d.drop(g)
	return dst, Complete
}

// build appends a whole datagram made of one header and its fragmentable part.
func build(dst, hdr []byte, v6 bool, nhAt int, nh uint8, payload []byte) []byte {
	dst = appendHeader(dst, hdr, v6, nhAt, nh, len(payload))
	return append(dst, payload...)
}

// appendHeader appends the header of a reassembled datagram whose fragmentable part is n bytes.
func appendHeader(dst, hdr []byte, v6 bool, nhAt int, nh uint8, n int) []byte {
	at := len(dst)
	dst = append(dst, hdr...)
	h := dst[at:]
	if v6 {
		h[nhAt] = nh
		binary.BigEndian.PutUint16(h[4:6], uint16(len(hdr)-40+n))
		return dst
	}
	binary.BigEndian.PutUint16(h[2:4], uint16(len(hdr)+n))
	h[6] &= 0x40 // keep DF; clear MF, the reserved bit and the offset
	h[7] = 0
	h[10], h[11] = 0, 0
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(h[10:12], ^uint16(sum))
	return dst
}

func (d *Defragmenter) newDatagram(k key, v6 bool, time int64) *datagram {
	var g *datagram
	if n := len(d.free); n > 0 {
		g = d.free[n-1]
		d.free = d.free[:n-1]
		d.freeCap -= cap(g.buf) + cap(g.hdr)
	} else {
		g = &datagram{}
	}
	g.k, g.v6, g.first, g.end, g.hasFirst = k, v6, time, -1, false
	g.frags, g.buf, g.hdr, g.frames = g.frags[:0], g.buf[:0], g.hdr[:0], g.frames[:0]
	g.prev, g.next = d.tail, nil
	if d.tail != nil {
		d.tail.next = g
	} else {
		d.head = g
	}
	d.tail = g
	d.m[k] = g
	return g
}

// drop forgets a datagram and keeps its buffers for reuse (unless they grew large).
func (d *Defragmenter) drop(g *datagram) {
	delete(d.m, g.k)
	d.held -= len(g.buf)
	if g.prev != nil {
		g.prev.next = g.next
	} else {
		d.head = g.next
	}
	if g.next != nil {
		g.next.prev = g.prev
	} else {
		d.tail = g.prev
	}
	g.prev, g.next = nil, nil
	if c := cap(g.buf) + cap(g.hdr); len(d.free) < maxFree && d.freeCap+c <= maxFreeBytes && cap(g.frags) <= 64 {
		d.free = append(d.free, g)
		d.freeCap += c
	}
}

// expire drops the datagrams whose first fragment is older than the timeout.
func (d *Defragmenter) expire(now int64) {
	for d.head != nil && now-d.head.first > int64(d.opts.Timeout) {
		d.stats.TimedOut++
		d.drop(d.head)
	}
}

// Close drops every datagram still in progress (Stats.Incomplete counts them).
func (d *Defragmenter) Close() {
	for d.head != nil {
		d.stats.Incomplete++
		d.drop(d.head)
	}
}
