package http

import "io"

// Stage runs a pull-style decoder (gzip.Reader, brotli.Reader, multipart.Reader: they read from an io.Reader)
// over bytes that arrive push-style, one Write at a time, without holding the bytes: the decoder runs on a
// goroutine of its own that reads what Write hands over, and Write returns only when the decoder has consumed it
// all and asks for more. The caller and the decoder's goroutine therefore never run at the same time (a
// coroutine), so the decoder may call back into the caller's state without locks, and the results do not depend
// on scheduling. The goroutine ends when its run function returns: after Close, or earlier (an error, a cap);
// later Writes are then ignored.
type Stage struct {
	in     chan []byte // the next bytes; nil: the end of the input
	idle   chan struct{}
	done   chan struct{}
	cur    []byte
	buf    []byte // bytes written and not yet handed over (at most StageBuffer)
	eof    bool
	exited bool
	closed bool
}

// NewStage starts run on a goroutine of its own, reading from the stage. It returns when run first waits for
// input (or has returned).
func NewStage(run func(r io.Reader)) *Stage {
	s := &Stage{in: make(chan []byte), idle: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		run(stageReader{s})
	}()
	s.wait()
	return s
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
