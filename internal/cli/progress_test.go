package cli

import (
	"bytes"
	"strings"
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
