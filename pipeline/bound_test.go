//go:build unix

package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMaxWorkers checks the bound on workers against its definition: twice GOMAXPROCS, within a quarter of the
// machine's memory and half of a Go memory limit.
func TestMaxWorkers(t *testing.T) {
	if workerBytes < 5*BatchBytes {
		t.Fatalf("workerBytes %d counts less than the %d batches a worker may hold", workerBytes, inflight+2)
	}
	n := MaxWorkers()
	if n < 1 || n > 2*runtime.GOMAXPROCS(0) {
		t.Fatalf("MaxWorkers %d, want 1..%d", n, 2*runtime.GOMAXPROCS(0))
	}
	if total := totalMemory(); total <= 0 {
		t.Fatal("no MemTotal in /proc/meminfo")
	} else if n > 1 && int64(n)*workerBytes > total/4 {
		t.Fatalf("%d workers of %d bytes exceed a quarter of %d bytes", n, workerBytes, total)
	}
	for _, tt := range []struct {
		limit int64
		want  int
	}{
		{workerBytes * 2, 1},    // one worker's worth of half the limit
		{workerBytes * 4, 2},    // two
		{workerBytes / 2, 1},    // never fewer than one
		{1 << 62, MaxWorkers()}, // no tighter than the machine's bound
	} {
		old := debug.SetMemoryLimit(tt.limit)
		got := MaxWorkers()
		debug.SetMemoryLimit(old)
		if got != min(tt.want, 2*runtime.GOMAXPROCS(0)) {
			t.Errorf("memory limit %d: MaxWorkers %d, want %d", tt.limit, got, min(tt.want, 2*runtime.GOMAXPROCS(0)))
		}
	}
}

// TestRunPanic makes reading an input panic: Run returns that input's internal error instead of crashing.
func TestRunPanic(t *testing.T) {
	testHookRead = func(input string) {
		if strings.HasSuffix(input, "boom") {
			panic("boom")
		}
	}
	defer func() { testHookRead = nil }()
	err := Run(context.Background(), []string{"x/boom"}, Options{}, func(*Batch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "internal error: boom") {
		t.Fatalf("err %v, want an internal error", err)
	}
}

// TestRunFIFOCancel reads a FIFO that no process writes: cancelling the context ends the run.
func TestRunFIFOCancel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{p}, Options{}, func(*Batch) error { return nil }) }()
	select {
	case err := <-done:
		if err != context.DeadlineExceeded {
			t.Fatalf("err %v, want the context's", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run on a FIFO without a writer did not end within 10 s of the cancellation")
	}
	_ = os.Remove(p)
}
