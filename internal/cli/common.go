package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pcapframe/pcapframe/capture"
)

// expandInputs resolves the command-line inputs (files, directories, "-") and refuses an output path that is
// one of them. Files inside a directory that are not captures are skipped with one warning line each.
func expandInputs(io *IO, args []string, output string) ([]string, error) {
	if len(args) == 0 {
		return nil, usagef("no input: name one or more capture files, directories, or - for standard input")
	}
	paths, skipped, err := capture.ExpandSkipping(args)
	if err != nil {
		return nil, err
	}
	warnSkipped(io, skipped)
	if len(paths) == 0 {
		return nil, fmt.Errorf("no capture files found in %s", strings.Join(args, ", "))
	}
	stdin := 0
	for _, p := range paths {
		if p == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, usagef("standard input (-) can be read only once")
	}
	if output != "" && output != "-" {
		outAbs, _ := filepath.Abs(output)
		outInfo, outErr := os.Stat(output)
		for _, p := range paths {
			if p == "-" {
				continue
			}
			pAbs, _ := filepath.Abs(p)
			if pAbs == outAbs {
				return nil, usagef("output %q is also an input: refusing to overwrite it", output)
			}
			if outErr == nil {
				if in, err := os.Stat(p); err == nil && os.SameFile(in, outInfo) {
					return nil, usagef("output %q is also an input: refusing to overwrite it", output)
				}
			}
		}
	}
	return paths, nil
}

// isFatalInput reports whether an input error means the run cannot produce a meaningful table (the input is
// missing, unreadable or not a capture at all), as opposed to damage after some frames were read.
func isFatalInput(err error) bool {
	var ce *capture.Error
	for _, e := range unjoin(err) {
		if !errors.As(e, &ce) {
			return true
		}
		if ce.Frame == 0 && (errors.Is(e, capture.ErrNotCapture) || errors.Is(e, capture.ErrUnsupported)) {
			return true
		}
	}
	return false
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// progress shows frames and bytes read on standard error while a long run goes on, when that is a terminal.
// Once the reading has stopped moving for a second (the inputs are read and the run is finishing its output),
// the line says so: what the run is doing then (setAfter) and for how long.
type progress struct {
	frames, bytes atomic.Int64
	after         atomic.Pointer[string]
	w             io.Writer
	stop          chan struct{}
	done          sync.WaitGroup
	start         time.Time
}

// progressIdle is how long the counts stand still before the line shows the phase after the reading.
const progressIdle = time.Second

// startProgress starts a progress line on io.ErrOut if it is a terminal and quiet is false; otherwise it
// returns nil, whose methods do nothing.
func startProgress(io *IO, quiet bool) *progress {
	if quiet || !io.ErrIsTerminal {
		return nil
	}
	p := &progress{w: io.ErrOut, stop: make(chan struct{}), start: time.Now()}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		var lastFrames, lastBytes int64
		moved := time.Now()
		for {
			select {
			case <-p.stop:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case now := <-t.C:
				f, b := p.frames.Load(), p.bytes.Load()
				if f != lastFrames || b != lastBytes {
					lastFrames, lastBytes, moved = f, b, now
				}
				if after := p.after.Load(); after != nil && now.Sub(moved) >= progressIdle && f > 0 {
					fmt.Fprintf(p.w, "\r\033[K%d frames read; %s: %.0f s", f, *after, now.Sub(moved).Seconds())
					continue
				}
				secs := now.Sub(p.start).Seconds()
				fmt.Fprintf(p.w, "\r\033[K%d frames, %.1f MB, %.0f frames/s", f, float64(b)/1e6, float64(f)/secs)
			}
		}
	}()
	return p
}

// setAfter names what the run does once the inputs are read (writing the Parquet file, loading DuckDB), shown
// when the counts stop moving.
func (p *progress) setAfter(what string) *progress {
	if p != nil {
		p.after.Store(&what)
	}
	return p
}

// add counts progress; it is safe for concurrent use.
func (p *progress) add(bytes, frames int64) {
	if p == nil {
		return
	}
	p.bytes.Add(bytes)
	p.frames.Add(frames)
}

func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.done.Wait()
}

// callback returns the function for pipeline.Options.Progress, or nil.
func (p *progress) callback() func(int64, int64) {
	if p == nil {
		return nil
	}
	return p.add
}

// warnSkipped says, one short line each, which files of directory inputs were skipped as not captures.
func warnSkipped(io *IO, skipped []string) {
	for _, p := range skipped {
		fmt.Fprintf(io.ErrOut, "pcapframe: skipped %s: not a capture file\n", Sanitize(p))
	}
	if len(skipped) > 1 {
		fmt.Fprintf(io.ErrOut, "pcapframe: %d files skipped in all\n", len(skipped))
	}
}
