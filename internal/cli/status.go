package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// phase shows on a terminal what a long step without counts is doing (the report's queries, the statistics): a
// line with its name and the seconds spent, updated four times a second, removed when the step ends.
type phase struct {
	w     io.Writer
	stop  chan struct{}
	done  sync.WaitGroup
	start time.Time
}

// startPhase starts the line for the step what on io.ErrOut if it is a terminal and quiet is false; otherwise it
// returns nil, whose finish does nothing.
func startPhase(io *IO, quiet bool, what string) *phase {
	if quiet || !io.ErrIsTerminal {
		return nil
	}
	p := &phase{w: io.ErrOut, stop: make(chan struct{}), start: time.Now()}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		fmt.Fprintf(p.w, "\r\033[K%s...", what)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case now := <-t.C:
				fmt.Fprintf(p.w, "\r\033[K%s: %.0f s", what, now.Sub(p.start).Seconds())
			}
		}
	}()
	return p
}

// finish removes the line.
func (p *phase) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.done.Wait()
}

// runClock times a command for the one-line summary it prints at its end.
type runClock struct {
	io    *IO
	quiet bool
	start time.Time
}

// startClock starts timing a command run; its summary speaks only on a terminal without --quiet.
func startClock(io *IO, quiet bool) runClock { return runClock{io, quiet, time.Now()} }

// summary prints "pcapframe: WHAT in T s" on standard error, when it is a terminal and the run is not quiet.
func (c runClock) summary(format string, a ...any) {
	if c.quiet || !c.io.ErrIsTerminal {
		return
	}
	fmt.Fprintf(c.io.ErrOut, "pcapframe: %s in %s\n", fmt.Sprintf(format, a...), seconds(time.Since(c.start)))
}

// seconds formats a duration for people: 0.4 s, 12 s, 3 min 05 s.
func seconds(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 0, 64) + " s"
	}
	return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
}

// count formats n with thousands separators: 1,234,567.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// plural is n and the noun, with an s unless n is 1: "1 row", "3,641 rows".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return count(n) + " " + noun + "s"
}

// fileSize describes the size of the file at path ("" if unknown): 1.2 MB, 820 kB, 93 bytes.
func fileSize(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	n := fi.Size()
	switch {
	case n >= 1e6:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
	case n >= 1e3:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 0, 64) + " kB"
	}
	return plural(n, "byte")
}
