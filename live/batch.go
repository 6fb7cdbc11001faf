package live

// Frame is one captured frame.
type Frame struct {
	Time    int64 // kernel receive time, nanoseconds since the Unix epoch, UTC
	WireLen int   // length on the wire
	Data    []byte

	// Source and Number name where the frame was written: the capture file and the 1-based frame number in
	// it (set by Writer.Write), or the interface and the capture's frame count when no file is written.
	Source string
	Number int64
}

// Batch holds consecutive frames whose bytes live in the batch's own buffer, so it can cross goroutines
// while the kernel reuses its ring. A Batch is reused: Reset invalidates the frames it held.
type Batch struct {
	Frames []Frame
	arena  []byte
}

// Batch limits: a batch handed out by Handle.ReadBatch has at most this many frames or bytes (plus one frame).
const (
	BatchFrames = 8192
	BatchBytes  = 2 << 20
)

// NewBatch returns an empty batch with room for BatchFrames frames and BatchBytes bytes.
func NewBatch() *Batch {
	return &Batch{Frames: make([]Frame, 0, BatchFrames), arena: make([]byte, 0, BatchBytes+MaxSnaplen+64)}
}

// Reset empties b, keeping its memory.
func (b *Batch) Reset() {
	b.Frames = b.Frames[:0]
	b.arena = b.arena[:0]
}

// Bytes returns the number of frame bytes in b.
func (b *Batch) Bytes() int { return len(b.arena) }

// Full reports whether b reached one of its limits.
func (b *Batch) Full() bool { return len(b.Frames) >= BatchFrames || len(b.arena) >= BatchBytes }

// Truncate keeps the first n frames.
func (b *Batch) Truncate(n int) {
	if n < len(b.Frames) {
		b.Frames = b.Frames[:n]
	}
}

// add appends a frame made of the given parts (copied).
func (b *Batch) add(t int64, wire int, parts ...[]byte) {
	// If the buffer must grow, append moves it; the frames already added keep pointing at the old buffer,
	// which stays valid and is never written again.
	start := len(b.arena)
	for _, p := range parts {
		b.arena = append(b.arena, p...)
	}
	end := len(b.arena)
	b.Frames = append(b.Frames, Frame{Time: t, WireLen: wire, Data: b.arena[start:end:end]})
}

// Append adds a copy of data as a frame received at time t (nanoseconds since the epoch) that was wireLen
// bytes long on the wire; it builds batches from other sources than a Handle.
func (b *Batch) Append(t int64, wireLen int, data []byte) { b.add(t, wireLen, data) }
