package stream

import "github.com/pcapframe/pcapframe/packet"

// UDP follows a UDP conversation datagram by datagram: each datagram's payload is one chunk, and payload bytes
// cut by the snap length are a gap after it.
type UDP struct {
	emit  func(*Chunk) error
	off   [2]int64
	stats Stats
	chunk Chunk
}

// NewUDP returns a follower that calls emit with each datagram. emit must not keep Chunk.Data after it returns.
func NewUDP(emit func(*Chunk) error) *UDP { return &UDP{emit: emit} }

// Stats returns the counters so far.
func (u *UDP) Stats() Stats { return u.stats }

// Add takes one UDP datagram of the conversation, sent by side.
func (u *UDP) Add(p *packet.Packet, side Side) error {
	if !p.Has(packet.HasUDP) || !p.Has(packet.HasPayload) || p.PayloadLen <= 0 {
		return nil
	}
	data := p.Payload()
	if len(data) > 0 {
		u.chunk = Chunk{Side: side, Data: data, Frame: p.Frame, Time: p.Time, Offset: u.off[side]}
		u.off[side] += int64(len(data))
		u.stats.Bytes[side] += int64(len(data))
		u.stats.Chunks[side]++
		if err := u.emit(&u.chunk); err != nil {
			return err
		}
	}
	if missing := int64(p.PayloadLen) - int64(len(data)); missing > 0 {
		u.chunk = Chunk{Side: side, Gap: missing, Frame: p.Frame, Time: p.Time, Offset: u.off[side]}
		u.off[side] += missing
		u.stats.Gaps[side]++
		u.stats.GapBytes[side] += missing
		return u.emit(&u.chunk)
	}
	return nil
}

// Close does nothing: a UDP follower holds no data.
func (u *UDP) Close() error { return nil }
