//go:build unix

package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// pcapBytes builds a classic little-endian microsecond pcap of n Ethernet frames of 60 zero bytes, by hand from
// the format (24-byte file header, 16-byte record headers).
func pcapBytes(n int) []byte {
	var b bytes.Buffer
	hdr := []any{uint32(0xa1b2c3d4), uint16(2), uint16(4), int32(0), uint32(0), uint32(65535), uint32(1)}
	for _, v := range hdr {
		binary.Write(&b, binary.LittleEndian, v)
	}
	for i := range n {
		binary.Write(&b, binary.LittleEndian, [4]uint32{uint32(i + 1), 0, 60, 60})
		b.Write(make([]byte, 60))
	}
	return b.Bytes()
}

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	return p
}

// TestOpenContextFIFONoWriter opens a FIFO that no process ever writes: the open must not block in the kernel,
// and cancelling the context must end the wait for a writer.
func TestOpenContextFIFONoWriter(t *testing.T) {
	for _, tt := range []struct {
		name   string
		cancel time.Duration
	}{{"cancelled while waiting", 100 * time.Millisecond}, {"cancelled before", 0}} {
		t.Run(tt.name, func(t *testing.T) {
			p := mkfifo(t)
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancel == 0 {
				cancel()
			} else {
				time.AfterFunc(tt.cancel, cancel)
			}
			done := make(chan error, 1)
			go func() {
				r, err := OpenContext(ctx, p)
				if r != nil {
					r.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("OpenContext on a FIFO without a writer did not return within 10 s of the cancellation")
			}
		})
	}
}

// TestOpenContextFIFO reads a capture written into a FIFO by a writer that opens it after the reader, and one
// that stalls after the header, whose read the cancellation must end.
func TestOpenContextFIFO(t *testing.T) {
	data := pcapBytes(5)
	t.Run("late writer", func(t *testing.T) {
		p := mkfifo(t)
		go func() {
			time.Sleep(200 * time.Millisecond)
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			f.Write(data)
			f.Close()
		}()
		r, err := OpenContext(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		recs, err := readAll(t, r)
		if err != nil || len(recs) != 5 {
			t.Fatalf("%d records, err %v; want 5", len(recs), err)
		}
	})
	t.Run("stalled writer", func(t *testing.T) {
		p := mkfifo(t)
		w := make(chan *os.File, 1)
		go func() {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				close(w)
				return
			}
			f.Write(data[:24+16+60]) // header and one record, then nothing
			w <- f
		}()
		ctx, cancel := context.WithCancel(context.Background())
		r, err := OpenContext(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if f := <-w; f != nil {
			defer f.Close()
		}
		if _, err := r.Next(); err != nil {
			t.Fatalf("first record: %v", err)
		}
		time.AfterFunc(100*time.Millisecond, cancel)
		done := make(chan error, 1)
		go func() {
			_, err := r.Next()
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("read after the cancellation succeeded")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a read blocked on a stalled FIFO did not end within 10 s of the cancellation")
		}
	})
}
