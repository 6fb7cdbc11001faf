package flow

// TCP flag bits of packet.Packet.TCPFlags.
const (
	flagFIN = 1 << 0
	flagSYN = 1 << 1
	flagRST = 1 << 2
	flagACK = 1 << 4
)

// epState is the state of one side of a TCP connection, as Zeek's TCP_Endpoint tracks it.
type epState uint8

const (
	epInactive epState = iota
	epSynSent
	epSynAckSent
	epPartial
	epEstablished
	epClosed
	epReset
)

// maxHoles bounds the out-of-order spans tracked per direction to compute missed_bytes without buffering data;
// when more are needed, the lowest hole is given up and counted as missed. The list is allocated only when a
// direction sees out-of-order data.
const maxHoles = 64

// ackSlack is how far beyond the highest data seen an acknowledgment may go and still count as data the capture
// missed; larger acknowledgments are taken as bogus.
const ackSlack = 16 << 20

type span struct{ s, e int64 }

// seqSpace follows one direction's TCP sequence space without buffering data: where the data starts, how far it
// reaches, how far the peer acknowledged it, and which parts were seen. Positions are 64-bit offsets from the
// first data byte, so sequence numbers may wrap around.
type seqSpace struct {
	started  bool
	synSeen  bool
	refSeq   uint32 // a sequence number and its offset: offsets are computed relative to it
	refRel   int64
	maxEnd   int64 // highest end of data seen
	finSeen  bool
	finRel   int64
	ackMax   int64 // highest acknowledgment from the peer
	ackSet   bool
	frontier int64  // everything below it was seen (or given up, see skipped)
	skipped  int64  // bytes below frontier given up as missed
	gaps     int64  // holes given up
	holes    []span // received spans above frontier, sorted, not touching
	nholes   int
}

// rel returns the offset of seq in this direction's sequence space.
func (s *seqSpace) rel(seq uint32) int64 {
	return s.refRel + int64(int32(seq-s.refSeq))
}

// advance moves the reference forward so that offsets keep working across more than 2 GiB of data.
func (s *seqSpace) advance(seq uint32, r int64) {
	if r > s.refRel {
		s.refSeq, s.refRel = seq, r
	}
}

// start sets where the data begins: after the SYN, or at the first packet's sequence number.
func (s *seqSpace) start(seq uint32, syn bool) {
	if syn {
		seq++
		s.synSeen = true
	}
	s.started = true
	s.refSeq, s.refRel = seq, 0
}

// data records n payload bytes at seq (seq already past any SYN octet), of which the first captured were
// captured (a snap length may cut the rest, which then counts as missed). It reports whether they are a
// retransmission or out of order (they start below data already seen), as Zeek's 't' means.
func (s *seqSpace) data(seq uint32, n, captured int64) (retrans bool) {
	b := s.rel(seq)
	e := b + n
	s.advance(seq, b)
	if e <= 0 {
		return true // before the first byte we know of
	}
	b = max(b, 0)
	retrans = b < s.maxEnd
	s.maxEnd = max(s.maxEnd, e)
	if ce := min(e, b+captured); ce > b {
		s.cover(b, ce)
	}
	return retrans
}

// cover marks [b, e) as seen.
func (s *seqSpace) cover(b, e int64) {
	if e <= s.frontier {
		return
	}
	if b <= s.frontier {
		s.frontier = e
		s.mergeFrontier()
		return
	}
	// Insert [b, e) into the sorted holes list, merging overlaps.
	i := 0
	for i < s.nholes && s.holes[i].e < b {
		i++
	}
	j := i
	for j < s.nholes && s.holes[j].s <= e {
		b = min(b, s.holes[j].s)
		e = max(e, s.holes[j].e)
		j++
	}
	// Replace holes[i:j] with the merged span.
	removed := j - i
	if s.holes == nil {
		s.holes = make([]span, maxHoles+1)
	}
	if removed == 0 {
		copy(s.holes[i+1:s.nholes+1], s.holes[i:s.nholes])
		s.nholes++
	} else if removed > 1 {
		copy(s.holes[i+1:], s.holes[j:s.nholes])
		s.nholes -= removed - 1
	}
	s.holes[i] = span{b, e}
	if s.nholes > maxHoles {
		// Give up the lowest hole.
		s.skipped += s.holes[0].s - s.frontier
		s.gaps++
		s.frontier = s.holes[0].e
		copy(s.holes[:], s.holes[1:s.nholes])
		s.nholes--
		s.mergeFrontier()
	}
}

func (s *seqSpace) mergeFrontier() {
	k := 0
	for k < s.nholes && s.holes[k].s <= s.frontier {
		s.frontier = max(s.frontier, s.holes[k].e)
		k++
	}
	if k > 0 {
		copy(s.holes[:], s.holes[k:s.nholes])
		s.nholes -= k
	}
}

// fin records a FIN at seq (after any payload of the same packet).
func (s *seqSpace) fin(seq uint32, n int64) {
	r := s.rel(seq) + n
	if !s.finSeen || r > s.finRel {
		s.finRel = r
	}
	s.finSeen = true
}

// ack records an acknowledgment of this direction's data sent by the peer.
func (s *seqSpace) ack(ack uint32) {
	if !s.started {
		return
	}
	a := s.rel(ack)
	if a < 0 || a > s.maxEnd+ackSlack {
		return
	}
	if !s.ackSet || a > s.ackMax {
		s.ackMax, s.ackSet = a, true
	}
}

// size returns the payload bytes of this direction as Zeek counts them: the sequence space from the first data
// byte to the highest byte seen or acknowledged, without the FIN octet.
func (s *seqSpace) size() int64 {
	if !s.started {
		return 0
	}
	end := s.maxEnd
	if s.ackSet {
		a := s.ackMax
		if s.finSeen && a > s.finRel {
			a = s.finRel
		}
		end = max(end, a)
	}
	return max(end, 0)
}

// missed returns the bytes of size() never seen and the number of holes they form.
func (s *seqSpace) missed() (bytes, holes int64) {
	size := s.size()
	bytes, holes = s.skipped, s.gaps
	pos := s.frontier
	for i := range s.nholes {
		h := s.holes[i]
		if h.s >= size {
			break
		}
		bytes += h.s - pos
		holes++
		pos = h.e
	}
	if pos < size {
		bytes += size - pos
		holes++
	}
	return bytes, holes
}
