package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// FuzzReader feeds arbitrary bytes to the reader: it must not panic, must
// end (io.EOF or an *Error carrying a sentinel), keep its records
// consistent, and keep memory bounded by the input.
func FuzzReader(f *testing.F) {
	old := zstdMaxWindow
	zstdMaxWindow = 8 << 20 // keep each execution cheap; the limit logic is the same
	f.Cleanup(func() { zstdMaxWindow = old })

	for _, name := range corpusFiles(f) {
		st, err := os.Stat(testFile(name))
		if err != nil || st.Size() > 16<<10 {
			continue
		}
		b := readTestFile(f, name)
		f.Add(b)
		f.Add(b[:len(b)*2/3])
	}
	small := readTestFile(f, "tcpdump__tcp-handshake-nano.pcap")
	f.Add(gzipBytes(f, small))
	f.Add(zstdBytes(f, small))
	ng := readTestFile(f, "zeek__pcapng-multi-interface.pcapng")
	f.Add(gzipBytes(f, ng))
	f.Add(zstdBytes(f, ng)[:200])
	for _, s := range syntheticCaptures(f) {
		f.Add(s.data)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang crashes the worker, so the fuzzer keeps the input.
		watchdog := time.AfterFunc(30*time.Second, func() {
			buf := make([]byte, 1<<16)
			panic(fmt.Sprintf("reader still running after 30s on a %d-byte input\n%s", len(data), buf[:runtime.Stack(buf, true)]))
		})
		defer watchdog.Stop()
		r, err := NewReader(bytes.NewReader(data), "fuzz.bin")
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		defer r.Close()
		var prevOffset int64 = -1
		for i := 0; ; i++ {
			if i > 1<<20 {
				return // a decompression bomb of tiny records: long, but finite
			}
			x, err := r.Next()
			if err != nil {
				if err != io.EOF {
					checkFuzzError(t, err)
				}
				if _, again := r.Next(); again != err {
					t.Fatalf("error not sticky: %v then %v", err, again)
				}
				break
			}
			if x.CapLen != len(x.Data) || x.CapLen < 0 || x.CapLen > 128<<20 {
				t.Fatalf("record with CapLen %d and %d bytes of data", x.CapLen, len(x.Data))
			}
			if x.Offset <= prevOffset || x.Frame < int64(i+1) {
				t.Fatalf("record %d: offset %d after %d, frame %d", i, x.Offset, prevOffset, x.Frame)
			}
			prevOffset = x.Offset
			if x.Time < MinTime || x.Time > MaxTime || x.TimeOutOfRange && !x.NoTime {
				t.Fatalf("record %d: time %d (out of range %v, no time %v)", i, x.Time, x.TimeOutOfRange, x.NoTime)
			}
			if r.Compression() == "" && x.Offset+int64(x.CapLen) > int64(len(data)) {
				t.Fatalf("record beyond the input")
			}
		}
		if r.Compression() == "" && cap(r.buf) > 2*len(data)+bufSize {
			t.Fatalf("copy buffer of %d bytes for %d bytes of input", cap(r.buf), len(data))
		}
	})
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *capture.Error", err, err)
	}
	n := 0
	for _, s := range []error{ErrNotCapture, ErrTruncated, ErrCorrupt, ErrUnsupported} {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %q matches %d sentinels", err, n)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "fuzz.bin: ") {
		t.Fatalf("bad message %q", msg)
	}
	if e.Offset < 0 || e.Frame < 0 {
		t.Fatalf("bad position in %+v", e)
	}
}
