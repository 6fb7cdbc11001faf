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
	if !p.Has(packet.HasUDP) || !p.Has(packet.HasPayload) {
		return nil
	}
	return u.AddDatagram(side, p.Payload(), int64(p.PayloadLen), p.Frame, p.Time)
}

// AddDatagram takes one datagram's payload: data is the captured part (valid only during the call) of declared
// bytes; the rest, cut by the snap length, is a gap.
func (u *UDP) AddDatagram(side Side, data []byte, declared, frame, time int64) error {
	if declared <= 0 {
		return nil
	}
	side &= 1
	if int64(len(data)) > declared {
		data = data[:declared]
	}
	if len(data) > 0 {
		u.chunk = Chunk{Side: side, Data: data, Frame: frame, Time: time, Offset: u.off[side]}
		u.off[side] += int64(len(data))
		u.stats.Bytes[side] += int64(len(data))
		u.stats.Chunks[side]++
		if err := u.emit(&u.chunk); err != nil {
			return err
		}
	}
	if missing := declared - int64(len(data)); missing > 0 {
		u.chunk = Chunk{Side: side, Gap: missing, Frame: frame, Time: time, Offset: u.off[side]}
		u.off[side] += missing
		u.stats.Gaps[side]++
		u.stats.GapBytes[side] += missing
		return u.emit(&u.chunk)
	}
	return nil
}

// Close does nothing: a UDP follower holds no data.
func (u *UDP) Close() error { return nil }
