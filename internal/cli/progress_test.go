package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// Progress is shown on standard error only when it is a terminal and --quiet is not given.
func TestProgress(t *testing.T) {
	tests := []struct {
		terminal, quiet, want bool
	}{
		{true, false, true},
		{true, true, false},
		{false, false, false},
	}
	for _, tc := range tests {
		var errOut bytes.Buffer
		p := startProgress(&IO{ErrOut: &errOut, ErrIsTerminal: tc.terminal}, tc.quiet)
		p.add(2_000_000, 1234)
		time.Sleep(400 * time.Millisecond)
		p.finish()
		got := strings.Contains(errOut.String(), "1234 frames, 2.0 MB")
		if got != tc.want {
			t.Errorf("terminal %v quiet %v: progress shown %v, want %v (%q)", tc.terminal, tc.quiet, got, tc.want, errOut.String())
		}
		if !tc.want && errOut.Len() != 0 {
			t.Errorf("terminal %v quiet %v: wrote %q", tc.terminal, tc.quiet, errOut.String())
		}
	}
}

// Once the reading stops moving, the progress line says what the run does next (issue 13 item 13: a report was
// silent for 12 s after the decode), and the line is removed at the end.
func TestProgressAfter(t *testing.T) {
	var errOut syncBuffer
	p := startProgress(&IO{ErrOut: &errOut, ErrIsTerminal: true}, false).setAfter("loading the tables into DuckDB")
	p.add(1000, 10)
	time.Sleep(progressIdle + 600*time.Millisecond)
	p.finish()
	out := errOut.String()
	if !strings.Contains(out, "10 frames read; loading the tables into DuckDB: ") || !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("progress line %q", out)
	}
	var quiet bytes.Buffer
	startProgress(&IO{ErrOut: &quiet, ErrIsTerminal: false}, false).setAfter("x").finish()
	if quiet.Len() != 0 {
		t.Errorf("not a terminal: wrote %q", quiet.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the progress goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
