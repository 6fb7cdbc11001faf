package capture

import (
	"context"
	"fmt"
	"os"
)

// OpenContext is Open for a read that ctx can cancel. A regular file is opened as Open does. A FIFO (and standard
// input when it is a pipe, on Linux) is opened without blocking and read through the Go runtime's poller: opening
// a FIFO that no writer has opened yet does not block in the kernel, and waiting for a writer or for data does
// not outlive ctx, since the file is closed when ctx is done, which ends the blocked read with an error. Once
// ctx is done, the Reader's reads fail; close it as usual.
func OpenContext(ctx context.Context, path string) (*Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, wait, err := openPollable(path)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return Open(path)
	}
	stop := context.AfterFunc(ctx, func() { f.Close() })
	fail := func(err error) (*Reader, error) {
		stop()
		f.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if wait {
		if err := waitWriter(f); err != nil {
			return fail(fmt.Errorf("open %s: %w", path, err))
		}
	}
	r, err := NewReader(f, path)
	if err != nil {
		return fail(err)
	}
	if path != "-" {
		r.file = f
	}
	r.stop = func() {
		stop()
		if path == "-" {
			f.Close() // our own descriptor of the pipe, not os.Stdin
		}
	}
	return r, nil
}

// stdinIsPipe reports whether standard input is a pipe or FIFO.
func stdinIsPipe() bool {
	st, err := os.Stdin.Stat()
	return err == nil && st.Mode()&os.ModeNamedPipe != 0
}
