package http

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
)

// Stage runs a pull-style decoder (gzip.Reader, brotli.Reader, multipart.Reader: they read from an io.Reader)
// over bytes that arrive push-style, one Write at a time, without holding the bytes: the decoder runs on a
// goroutine of its own that reads what Write hands over, and Write returns only when the decoder has consumed it
// all and asks for more. The caller and the decoder's goroutine therefore never run at the same time (a
// coroutine), so the decoder may call back into the caller's state without locks, and the results do not depend
// on scheduling. The goroutine ends when its run function returns: after Close, or earlier (an error, a cap);
// later Writes are then ignored.
//
// Most bodies are small, and a goroutine switch costs microseconds on an idle machine but up to milliseconds on
// a loaded one, so a Stage starts lazily: the first StageLazy bytes are held (within MaxLazyTotal over all
// stages of the process), and a stage closed before it reaches that runs its decoder on the caller's goroutine,
// over the held bytes, without any goroutine. Only a longer body starts the goroutine and streams.
type Stage struct {
	run     func(r io.Reader)
	started bool
	lazy    []byte      // bytes held before the goroutine starts (a buffer of lazyPools)
	lazyp   *[]byte     // the pooled buffer lazy is in; nil when none
	in      chan []byte // the next bytes; nil: the end of the input
	idle    chan struct{}
	done    chan struct{}
	cur     []byte
	buf     []byte // bytes written and not yet handed over (at most StageBuffer)
	eof     bool
	exited  bool
	closed  bool
}

// Bounds of the bytes a Stage holds before it starts its goroutine.
const (
	StageLazy    = 256 << 10 // per stage
	MaxLazyTotal = 64 << 20  // over all the stages of the process (the capacity of their buffers)
)

// lazyTotal counts the bytes of the buffers held by the stages that have not started (their capacity).
var lazyTotal atomic.Int64

// lazyClasses are the capacities of the buffers that hold a stage's bytes before it starts, each 4 times the
// one before: a buffer that fills up is replaced by one of the next class. The buffers are recycled through
// lazyPools, so that the bodies that pass through a stage (most of them a few KiB) cost no allocation of their
// own once the pools are warm.
var lazyClasses = [...]int{2 << 10, 8 << 10, 32 << 10, 128 << 10, StageLazy}

var lazyPools [len(lazyClasses)]sync.Pool

// getLazy returns a pooled buffer of class c, empty.
func getLazy(c int) *[]byte {
	if b, _ := lazyPools[c].Get().(*[]byte); b != nil {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, lazyClasses[c])
	return &b
}

// putLazy gives a buffer back to its pool.
func putLazy(b *[]byte) {
	for c, n := range lazyClasses {
		if cap(*b) == n {
			*b = (*b)[:0]
			lazyPools[c].Put(b)
			return
		}
	}
}

// hold appends b to the held bytes, in a larger pooled buffer when it does not fit; false when the buffer
// would pass StageLazy or the process's MaxLazyTotal (nothing is then held that was not before).
func (s *Stage) hold(b []byte) bool {
	need := len(s.lazy) + len(b)
	if need > StageLazy {
		return false
	}
	if need > cap(s.lazy) {
		c := 0
		for lazyClasses[c] < need {
			c++
		}
		grow := int64(lazyClasses[c] - cap(s.lazy))
		if lazyTotal.Add(grow) > MaxLazyTotal {
			lazyTotal.Add(-grow)
			return false
		}
		nb := getLazy(c)
		*nb = append(*nb, s.lazy...)
		s.releaseLazy(false)
		s.lazy, s.lazyp = *nb, nb
	}
	s.lazy = append(s.lazy, b...)
	return true
}

// releaseLazy gives the held buffer back to its pool (its bytes must no longer be read); account says whether
// its capacity leaves lazyTotal (false when the caller moved it to a buffer it counted already).
func (s *Stage) releaseLazy(account bool) {
	if s.lazyp == nil {
		return
	}
	if account {
		lazyTotal.Add(-int64(cap(*s.lazyp)))
	}
	putLazy(s.lazyp)
	s.lazy, s.lazyp = nil, nil
}

// NewStage returns a stage that runs run over the bytes written to it (see Stage: on the caller's goroutine at
// Close for a short input, else on a goroutine of its own).
func NewStage(run func(r io.Reader)) *Stage { return &Stage{run: run} }

// start starts the goroutine and hands it the bytes held so far.
func (s *Stage) start() {
	s.started = true
	s.in, s.idle, s.done = make(chan []byte), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		s.run(stageReader{s})
	}()
	s.wait()
	if held := s.lazy; len(held) > 0 && !s.exited {
		s.in <- held
		s.wait() // the decoder has consumed held, or returned: held is no longer read
	}
	s.releaseLazy(true)
}

type stageReader struct{ s *Stage }

// Read runs on the decoder's goroutine.
func (r stageReader) Read(p []byte) (int, error) {
	s := r.s
	for len(s.cur) == 0 {
		if s.eof {
			return 0, io.EOF
		}
		s.idle <- struct{}{}
		b := <-s.in
		if b == nil {
			s.eof = true
			continue
		}
		s.cur = b
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}

func (s *Stage) wait() {
	select {
	case <-s.idle:
	case <-s.done:
		s.exited = true
	}
}

// StageBuffer is how many bytes a Stage gathers before it hands them to its decoder: each handover costs two
// goroutine switches, so segments are handed over in runs.
const StageBuffer = 32 << 10

// Write gives b to the decoder: b is gathered with what came before, and handed over (Write then returns when
// the decoder has consumed all of it) once StageBuffer bytes are waiting. It never fails: a decoder that
// stopped ignores the rest.
func (s *Stage) Write(b []byte) (int, error) {
	if s.exited || s.closed || len(b) == 0 {
		return len(b), nil
	}
	if !s.started {
		if s.hold(b) {
			return len(b), nil
		}
		s.start()
		if s.exited {
			return len(b), nil
		}
	}
	if len(s.buf)+len(b) <= StageBuffer {
		if s.buf == nil {
			s.buf = make([]byte, 0, StageBuffer)
		}
		s.buf = append(s.buf, b...)
		if len(s.buf) < StageBuffer {
			return len(b), nil
		}
		b = nil
	}
	s.handOver()
	if len(b) > 0 && !s.exited {
		s.in <- b
		s.wait()
	}
	return len(b), nil
}

// handOver gives the gathered bytes to the decoder.
func (s *Stage) handOver() {
	if len(s.buf) > 0 && !s.exited {
		s.in <- s.buf
		s.wait()
	}
	s.buf = s.buf[:0]
}

// Stopped reports whether the decoder's run function has returned.
func (s *Stage) Stopped() bool { return s.exited }

// Close ends the input and waits for the run function to return.
func (s *Stage) Close() {
	if s.closed {
		return
	}
	if !s.started {
		s.closed = true
		s.run(bytes.NewReader(s.lazy))
		s.releaseLazy(true) // run has returned: nothing reads the held bytes any more
		s.exited = true
		return
	}
	s.handOver()
	s.buf = nil
	s.closed = true
	if !s.exited {
		s.in <- nil
		for !s.exited {
			s.wait()
		}
	}
}
