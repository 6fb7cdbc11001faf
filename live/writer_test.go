package live

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapframe/pcapframe/capture"
)

// testBatch makes n frames of varied sizes (1 to 1500 bytes) with increasing nanosecond times.
func testBatch(n int, t0 int64, step time.Duration) *Batch {
	b := NewBatch()
	for i := range n {
		size := 1 + (i*397)%1500
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(i + j)
		}
		b.add(t0+int64(i)*int64(step), size+i%3, data)
	}
	return b
}

type readFrame struct {
	t    int64
	wire int
	data []byte
}

// readWithPcapgo reads a capture file with gopacket's readers, independently of our capture package.
func readWithPcapgo(t *testing.T, path string) []readFrame {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []readFrame
	next := func() ([]byte, int64, int, error) { return nil, 0, 0, io.EOF }
	if r, err := pcapgo.NewReader(bytes.NewReader(raw)); err == nil {
		next = func() ([]byte, int64, int, error) {
			d, ci, err := r.ReadPacketData()
			return d, ci.Timestamp.UnixNano(), ci.Length, err
		}
	} else if r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions); err == nil {
		next = func() ([]byte, int64, int, error) {
			d, ci, err := r.ReadPacketData()
			return d, ci.Timestamp.UnixNano(), ci.Length, err
		}
	} else {
		t.Fatalf("%s: not a capture: %v", path, err)
	}
	for {
		d, ts, wire, err := next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v after %d frames", path, err, len(out))
		}
		out = append(out, readFrame{ts, wire, append([]byte(nil), d...)})
	}
}

// readWithCapture reads a file with our own capture package.
func readWithCapture(t *testing.T, path string) []readFrame {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []readFrame
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, readFrame{rec.Time, rec.WireLen, append([]byte(nil), rec.Data...)})
	}
}

// tsharkCount returns the number of frames tshark reads, or -1 when tshark is not installed.
func tsharkCount(t *testing.T, path string) int {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		return -1
	}
	out, err := exec.Command("tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.number").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	return strings.Count(string(out), "\n")
}

func sameFrames(t *testing.T, who string, got []readFrame, want []Frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d frames, want %d", who, len(got), len(want))
	}
	for i := range got {
		w := want[i]
		if got[i].t != w.Time || !bytes.Equal(got[i].data, w.Data) || got[i].wire != max(w.WireLen, len(w.Data)) {
			t.Fatalf("%s: frame %d differs: time %d want %d, %d bytes want %d, wire %d want %d", who, i,
				got[i].t, w.Time, len(got[i].data), len(w.Data), got[i].wire, w.WireLen)
		}
	}
}

func TestWriterFormats(t *testing.T) {
	for _, ext := range []string{".pcap", ".pcapng"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out"+ext)
			w, err := NewWriter(path, WriterOptions{LinkType: 1, Interface: "lo", Filter: "udp"})
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC).UnixNano()
			var want []Frame
			for k := range 3 {
				b := testBatch(100, t0+int64(k)*1e9, time.Microsecond+7)
				if err := w.Write(b); err != nil {
					t.Fatal(err)
				}
				for i, f := range b.Frames {
					if f.Source != path || f.Number != int64(100*k+i+1) {
						t.Fatalf("frame %d of batch %d: source %q number %d", i, k, f.Source, f.Number)
					}
					f.Data = append([]byte(nil), f.Data...)
					want = append(want, f)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			sameFrames(t, "pcapgo", readWithPcapgo(t, path), want)
			sameFrames(t, "capture.Open", readWithCapture(t, path), want)
			if n := tsharkCount(t, path); n >= 0 && n != len(want) {
				t.Errorf("tshark reads %d frames, want %d", n, len(want))
			}
		})
	}
}

func TestWriterRotation(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    WriterOptions
		want int // files kept
	}{
		{"size", WriterOptions{RotateSize: 20000}, 0},
		{"size-keep-3", WriterOptions{RotateSize: 20000, Keep: 3}, 3},
		{"time", WriterOptions{RotateTime: 10 * time.Millisecond}, 0},
		{"time-keep-1", WriterOptions{RotateTime: 10 * time.Millisecond, Keep: 1}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cap.pcapng")
			tt.o.LinkType = 1
			w, err := NewWriter(path, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			var all []Frame
			for k := range 4 {
				b := testBatch(50, int64(k)*50*int64(time.Millisecond), time.Millisecond)
				if err := w.Write(b); err != nil {
					t.Fatal(err)
				}
				for _, f := range b.Frames {
					f.Data = append([]byte(nil), f.Data...)
					all = append(all, f)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			kept := w.Files()
			entries, _ := os.ReadDir(dir)
			if len(entries) != len(kept) {
				t.Fatalf("%d files in the directory, Writer says %d kept", len(entries), len(kept))
			}
			if tt.want > 0 && len(kept) != tt.want {
				t.Fatalf("%d files kept, want %d", len(kept), tt.want)
			}
			if len(kept) < 2 && tt.want != 1 {
				t.Fatalf("no rotation: %v", kept)
			}
			// The kept files hold the last frames, in order, each file named and numbered as Write said.
			var got []readFrame
			for i, p := range kept {
				if !strings.HasPrefix(filepath.Base(p), "cap-") || filepath.Ext(p) != ".pcapng" {
					t.Errorf("file name %q", p)
				}
				fs := readWithPcapgo(t, p)
				st, _ := os.Stat(p)
				if tt.o.RotateSize > 0 && st.Size() > tt.o.RotateSize {
					t.Errorf("%s has %d bytes, more than %d", p, st.Size(), tt.o.RotateSize)
				}
				if tt.o.RotateTime > 0 && len(fs) > 0 && fs[len(fs)-1].t-fs[0].t >= int64(tt.o.RotateTime) {
					t.Errorf("%s spans %v", p, time.Duration(fs[len(fs)-1].t-fs[0].t))
				}
				n := 0
				for _, f := range all {
					if f.Source == p {
						n++
					}
				}
				if n != len(fs) {
					t.Errorf("file %d (%s): %d frames, Write assigned %d", i, p, len(fs), n)
				}
				got = append(got, fs...)
			}
			sameFrames(t, "rotated files", got, all[len(all)-len(got):])
		})
	}
}

func TestWriterBadPath(t *testing.T) {
	for _, p := range []string{filepath.Join(t.TempDir(), "no", "such", "dir", "x.pcap"), "x.txt"} {
		if _, err := NewWriter(p, WriterOptions{LinkType: 1}); err == nil {
			t.Errorf("NewWriter(%q) succeeded", p)
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	for _, ext := range []string{".pcap", ".pcapng"} {
		b.Run(ext[1:], func(b *testing.B) {
			w, err := NewWriter(filepath.Join(b.TempDir(), "bench"+ext), WriterOptions{LinkType: 1})
			if err != nil {
				b.Fatal(err)
			}
			batch := testBatch(1000, 0, time.Microsecond)
			b.SetBytes(int64(batch.Bytes()))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.Write(batch); err != nil {
					b.Fatal(err)
				}
			}
			w.Close()
			b.ReportMetric(float64(b.N*len(batch.Frames))/b.Elapsed().Seconds(), "frames/s")
		})
	}
}

var _ = fmt.Sprint
