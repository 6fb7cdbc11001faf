package http

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// TestStage: whatever the body's size and the sizes of the writes, the run function reads exactly the bytes
// written, on the caller's goroutine for a body within StageLazy and on its own past it, and the pooled buffers
// that held the bytes are all accounted back (lazyTotal returns to where it was).
func TestStage(t *testing.T) {
	before := lazyTotal.Load()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		size    int
		maxSeg  int
		started bool
	}{
		{0, 1, false},
		{1, 1, false},
		{2 << 10, 1460, false},
		{2<<10 + 1, 1460, false},
		{100 << 10, 1460, false},
		{StageLazy, 64 << 10, false},
		{StageLazy + 1, 1460, true},
		{1 << 20, 9000, true},
		{3 << 20, StageBuffer + 7, true},
	} {
		body := make([]byte, tc.size)
		for i := range body {
			body[i] = byte(rng.Uint32())
		}
		var got []byte
		s := NewStage(func(r io.Reader) { got, _ = io.ReadAll(r) })
		for rest := body; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(tc.maxSeg))
			if _, err := s.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if s.started != tc.started {
			t.Errorf("%d bytes: started %v, want %v", tc.size, s.started, tc.started)
		}
		s.Close()
		if !bytes.Equal(got, body) {
			t.Errorf("%d bytes: the run function read %d bytes, not the ones written", tc.size, len(got))
		}
		if n := lazyTotal.Load(); n != before {
			t.Errorf("%d bytes: lazyTotal %d after Close, want %d", tc.size, n, before)
		}
	}
}

// TestStageLazyTotal: once the buffers of the stages that have not started reach MaxLazyTotal, a further stage
// starts its goroutine instead of holding more, and still reads every byte.
func TestStageLazyTotal(t *testing.T) {
	before := lazyTotal.Load()
	chunk := bytes.Repeat([]byte("0123456789abcdef"), StageLazy/16)
	var stages []*Stage
	var reads []int
	for i := 0; i < MaxLazyTotal/StageLazy+2; i++ {
		reads = append(reads, 0)
		k := i
		s := NewStage(func(r io.Reader) { n, _ := io.Copy(io.Discard, r); reads[k] = int(n) })
		s.Write(chunk)
		stages = append(stages, s)
		if total := lazyTotal.Load() - before; total > MaxLazyTotal {
			t.Fatalf("stage %d: %d bytes held over all stages, over MaxLazyTotal", i, total)
		}
	}
	started := 0
	for _, s := range stages {
		if s.started {
			started++
		}
	}
	if started < 2 {
		t.Errorf("%d stages started their goroutine, want at least 2 past MaxLazyTotal", started)
	}
	for i, s := range stages {
		s.Close()
		if reads[i] != len(chunk) {
			t.Errorf("stage %d read %d bytes, want %d", i, reads[i], len(chunk))
		}
	}
	if n := lazyTotal.Load(); n != before {
		t.Errorf("lazyTotal %d after every Close, want %d", n, before)
	}
}
