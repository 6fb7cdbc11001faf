// Package livetest captures, for tests, the traffic they generate (on loopback or an interface of a namespace
// they made) into a pcap file, with package live. Capturing needs root or CAP_NET_RAW: without it the test fails
// and says so.
package livetest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/live"
)

// Capture captures on interface ifc the packets that match filter (a capture filter) into a pcap file until
// stop is called; stop returns the file and the number of frames.
func Capture(t testing.TB, ifc, filter string) (stop func() (string, int)) {
	t.Helper()
	h, err := live.Open(ifc, live.Options{Filter: filter, BlockTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("capture on %s needs root or CAP_NET_RAW: %v", ifc, err)
	}
	path := filepath.Join(t.TempDir(), "capture.pcap")
	w, err := live.NewWriter(path, live.WriterOptions{LinkType: h.LinkType(), Snaplen: h.Snaplen()})
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	quit := make(chan struct{})
	captured := 0
	go func() {
		b := live.NewBatch()
		for {
			b.Reset()
			n, err := h.ReadBatch(b, 50*time.Millisecond)
			if err != nil {
				done <- err
				return
			}
			if n > 0 {
				if err := w.Write(b); err != nil {
					done <- err
					return
				}
				captured += n
				continue
			}
			select {
			case <-quit:
				done <- nil
				return
			default:
			}
		}
	}()
	return func() (string, int) {
		time.Sleep(300 * time.Millisecond) // the kernel hands a block over within BlockTimeout
		close(quit)
		err := <-done
		h.Close()
		if err2 := w.Close(); err == nil {
			err = err2
		}
		if err != nil {
			t.Fatal(err)
		}
		return path, captured
	}
}
