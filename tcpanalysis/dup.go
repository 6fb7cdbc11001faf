package tcpanalysis

import (
	"hash/maphash"

	"github.com/pcapframe/pcapframe/packet"
)

// DupWindow is the number of frames editcap -d compares (its default duplicate window, DEFAULT_DUP_DEPTH): a
// frame is a duplicate when it equals one of the DupWindow-1 frames before it.
const DupWindow = 5

// Dups finds exact duplicate frames as `editcap -d` does: a frame is a duplicate when its captured bytes (and
// captured length) equal those of one of the DupWindow-1 frames just before it, duplicates included. editcap
// compares MD5 digests; Dups compares the bytes themselves while the earlier frame is still in memory (see Frame),
// and otherwise 64-bit hashes with a seed chosen at random for each Dups (hash/maphash), so the answer is
// editcap's unless two different frames of equal length collide on a hash whose seed an attacker cannot know.
// Frames of different lengths are never compared further, so most frames cost a few integer comparisons. It is
// not safe for concurrent use.
type Dups struct {
	seed maphash.Seed
	ring [DupWindow - 1]dupEntry
	next int
	n    int
}

type dupEntry struct {
	hash   uint64
	hashed bool // hash is set
	len    int
	frame  int64
	data   []byte // the frame's bytes while valid (until Forget), else nil
}

// NewDups returns a duplicate finder that has seen no frame.
func NewDups() *Dups { return &Dups{seed: maphash.MakeSeed()} }

// Frame checks data, the captured bytes of frame number frame, against the frames before it and returns the
// number of the most recent equal one, or 0. It keeps data (not a copy) to compare bytes with a later frame
// until Forget is called: the caller calls Forget before data's buffer is reused.
func (d *Dups) Frame(frame int64, data []byte) int64 {
	var h uint64
	hashed := false
	var dup int64
	for i := 1; i <= d.n; i++ {
		e := &d.ring[(d.next-i+len(d.ring))%len(d.ring)]
		if e.len != len(data) {
			continue
		}
		if e.data != nil {
			if string(e.data) == string(data) {
				dup = e.frame
				break
			}
			continue
		}
		if !hashed {
			h, hashed = maphash.Bytes(d.seed, data), true
		}
		if e.hashed && e.hash == h {
			dup = e.frame
			break
		}
	}
	d.ring[d.next] = dupEntry{hash: h, hashed: hashed, len: len(data), frame: frame, data: data}
	d.next = (d.next + 1) % len(d.ring)
	d.n = min(d.n+1, len(d.ring))
	return dup
}

// Forget drops the references to earlier frames' bytes, keeping their hashes: call it before the buffer that
// holds them is reused. It hashes at most DupWindow-1 frames.
func (d *Dups) Forget() {
	for i := range d.ring {
		e := &d.ring[i]
		if e.data != nil && !e.hashed {
			e.hash, e.hashed = maphash.Bytes(d.seed, e.data), true
		}
		e.data = nil
	}
}

// Packet checks a decoded packet (see Frame) and records the result in its Analysis and DuplicateOf fields.
func (d *Dups) Packet(p *packet.Packet) {
	p.DuplicateOf = d.Frame(p.Frame, p.Data)
	p.Analysis |= packet.AnalysisDup
}

// Analyzer runs both analyses over the packets of one capture, in capture order.
type Analyzer struct {
	TCP  *TCP
	Dups *Dups
}

// NewAnalyzer returns an Analyzer for one capture.
func NewAnalyzer(opts Options) *Analyzer { return &Analyzer{TCP: New(opts), Dups: NewDups()} }

// Packet analyses the next packet of the capture.
func (a *Analyzer) Packet(p *packet.Packet) {
	a.Dups.Packet(p)
	a.TCP.Packet(p)
}
