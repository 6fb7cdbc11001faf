package live

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWriterDiskFull fills a small tmpfs: the write error names the file and says the disk is full, and the
// file keeps only complete records, readable by gopacket, by our reader and by tshark.
func TestWriterDiskFull(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
		t.Fatalf("cannot mount a tmpfs (the test needs root): %v", err)
	}
	defer syscall.Unmount(dir, 0)
	for _, ext := range []string{".pcap", ".pcapng"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(dir, "full"+ext)
			defer os.Remove(path)
			w, err := NewWriter(path, WriterOptions{LinkType: 1})
			if err != nil {
				t.Fatal(err)
			}
			var written []Frame
			var werr error
			for k := 0; k < 100 && werr == nil; k++ {
				b := testBatch(20, int64(k)*1e9, time.Millisecond)
				if werr = w.Write(b); werr == nil {
					for _, f := range b.Frames {
						f.Data = append([]byte(nil), f.Data...)
						written = append(written, f)
					}
				}
			}
			if werr == nil || !errors.Is(werr, syscall.ENOSPC) || !strings.Contains(werr.Error(), strconv.Quote(path)) {
				t.Fatalf("error %v, want no space left on device naming %s", werr, path)
			}
			if err := w.Close(); !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Close = %v, want the write error again", err)
			}
			if len(written) == 0 {
				t.Fatal("nothing written before the disk was full")
			}
			sameFrames(t, "pcapgo", readWithPcapgo(t, path), written)
			sameFrames(t, "capture.Open", readWithCapture(t, path), written)
			if n := tsharkCount(t, path); n >= 0 && n != len(written) {
				t.Errorf("tshark reads %d frames, want %d", n, len(written))
			}
		})
	}
}
