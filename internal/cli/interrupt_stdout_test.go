package cli

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to read while the child process writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

// TestInterruptAfterPrinting: a run interrupted after it printed rows to standard output says that output is
// incomplete (and how many bytes went out), not "no output was written" (issue 13 item 12).
func TestInterruptAfterPrinting(t *testing.T) {
	capture, err := os.ReadFile("../../testdata/pcaps/seed__find_the_image.pcap") // 3,641 frames: more than a batch
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd := pcapframe(t, "main", "convert", "-", "-q", "-o", "-", "--format", "csv") // the default columns: rows fill the writer's buffer
	cmd.Stdin = r
	var errBuf bytes.Buffer
	var out lockedBuffer
	cmd.Stderr, cmd.Stdout = &errBuf, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := w.Write(capture); err != nil { // the pipe stays open: convert waits for more frames
		t.Fatal(err)
	}
	for i := 0; out.Len() == 0; i++ {
		if i == 600 {
			t.Fatal("no rows printed within 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	stderr, code, _ := wait(t, cmd, &errBuf, 10*time.Second)
	if code != ExitCancel {
		t.Fatalf("exit %d, want %d; stderr %q", code, ExitCancel, stderr)
	}
	if !strings.Contains(stderr, "interrupted: standard output is incomplete (") || strings.Contains(stderr, "no output was written") {
		t.Errorf("stderr %q", stderr)
	}
	if n := out.Len(); !strings.Contains(stderr, "("+strconv.Itoa(n)+" bytes") {
		t.Errorf("stderr %q does not give the %d bytes printed", stderr, n)
	}
}
