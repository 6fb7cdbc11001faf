package sniff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/live"
)

// readAll reads a source to its end, checking the batch limits, and returns its frames and the final error
// (nil at io.EOF).
func readAll(t testing.TB, s *FileSource) ([]live.Frame, error) {
	t.Helper()
	var frames []live.Frame
	for range 10000 { // bounded: far more batches than any test capture needs
		b := live.NewBatch()
		n, err := s.ReadBatch(b, time.Second)
		if n != len(b.Frames) || len(b.Frames) > live.BatchFrames || b.Bytes() > live.BatchBytes+live.MaxSnaplen {
			t.Fatalf("ReadBatch returned %d, batch has %d frames, %d bytes", n, len(b.Frames), b.Bytes())
		}
		frames = append(frames, b.Frames...)
		if errors.Is(err, io.EOF) {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
		if n == 0 {
			t.Fatal("ReadBatch returned no frames and no error")
		}
	}
	t.Fatal("the source never ended")
	return nil, nil
}

// TestFileSource reads real captures (pcap, pcapng, gzip) through FileSource and checks every frame against
// tshark: the number of frames, the captured and wire lengths, the time to the nanosecond, the link type.
func TestFileSource(t *testing.T) {
	for _, tc := range []struct {
		file     string
		linkType int
	}{
		{"dmachard__dnscat2.pcap", 1},
		{"chrissanders__dns_axfr.pcapng", 1},
		{"markofu__HoneyNet_0110_attack-trace.pcap_.gz", 1},
		{"gopacket__pcap_test_loopback.pcap", 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("../../testdata/pcaps", tc.file)
			s, err := OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.LinkType() != tc.linkType || s.Interface().Name != path || s.Snaplen() < 1 || s.Snaplen() > live.MaxSnaplen {
				t.Fatalf("link type %d, name %q, snaplen %d", s.LinkType(), s.Interface().Name, s.Snaplen())
			}
			frames, err := readAll(t, s)
			if err != nil {
				t.Fatal(err)
			}
			want := tsharkFields(t, path, "", "frame.cap_len", "frame.len", "frame.time_epoch", "frame.encap_type")
			if len(frames) != len(want) || len(frames) == 0 {
				t.Fatalf("%d frames, tshark reads %d", len(frames), len(want))
			}
			if st, _ := s.Stats(); st.Received != uint64(len(frames)) || st.Dropped != 0 {
				t.Errorf("stats %+v", st)
			}
			for i, f := range frames {
				sec, frac, _ := strings.Cut(want[i][2], ".")
				ns, _ := strconv.ParseInt(sec+(frac + "000000000")[:9], 10, 64)
				if strconv.Itoa(len(f.Data)) != want[i][0] || strconv.Itoa(f.WireLen) != want[i][1] || f.Time != ns {
					t.Fatalf("frame %d: %d/%d bytes at %d; tshark: %v", i+1, len(f.Data), f.WireLen, f.Time, want[i])
				}
			}
		})
	}
}

// pcapBytes is a classic pcap (microseconds, little-endian) with the given link type and records.
func pcapBytes(linkType uint32, records ...[]byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = binary.LittleEndian.AppendUint32(b, 1<<30)
	b = binary.LittleEndian.AppendUint32(b, linkType)
	for i, r := range records {
		b = binary.LittleEndian.AppendUint32(b, uint32(1000+i))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
		b = append(b, r...)
	}
	return b
}

// TestFileSourceHostile checks the captures a FileSource refuses or stops on, and that it stops after the
// frames before the problem.
func TestFileSourceHostile(t *testing.T) {
	dir := t.TempDir()
	twoLinks := func() []byte {
		var buf bytes.Buffer
		w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, SnapLength: 65535},
			pcapgo.NgWriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw, SnapLength: 65535})
		if err != nil {
			t.Fatal(err)
		}
		frame := udpFrame(1, 1)
		for i, ifc := range []int{0, 0, raw, 0} {
			ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(frame), Length: len(frame), InterfaceIndex: ifc}
			if err := w.WritePacket(ci, frame); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		return buf.Bytes()
	}
	var synthetic bytes.Buffer
	writeCapture(t, filepath.Join(dir, "ok.pcap"), testTraffic(100, 1))
	ok, _ := os.ReadFile(filepath.Join(dir, "ok.pcap"))
	synthetic.Write(ok[:len(ok)-10])
	for _, tc := range []struct {
		name     string
		data     []byte
		openErr  error
		frames   int
		linkType int
		errText  string // the error after the frames, "" for the end of the capture
		errIs    error
	}{
		{name: "empty", data: nil, openErr: capture.ErrNotCapture},
		{name: "not a capture", data: []byte("GET / HTTP/1.1\r\n\r\n and more text to fill the header"), openErr: capture.ErrNotCapture},
		{name: "header only", data: pcapBytes(101), frames: 0, linkType: 101},
		{name: "truncated", data: synthetic.Bytes(), frames: 99, linkType: 1, errIs: capture.ErrTruncated},
		{name: "two link types", data: twoLinks(), frames: 2, linkType: 1, errText: "frame 3 has link type 101, not 1"},
		{name: "frame over the snap length", data: pcapBytes(231, []byte("small"), make([]byte, live.MaxSnaplen+1)), frames: 1,
			linkType: 231, errText: "frame 2 has 262145 bytes, more than 262144"},
		{name: "many small frames", data: pcapBytes(1, slices.Repeat([][]byte{{1}}, 3*live.BatchFrames+5)...), frames: 3*live.BatchFrames + 5, linkType: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.WriteFile(path, tc.data, 0o666); err != nil {
				t.Fatal(err)
			}
			s, err := OpenFile(path)
			if tc.openErr != nil {
				if !errors.Is(err, tc.openErr) {
					t.Fatalf("OpenFile: %v, want %v", err, tc.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.LinkType() != tc.linkType {
				t.Errorf("link type %d, want %d", s.LinkType(), tc.linkType)
			}
			frames, err := readAll(t, s)
			if len(frames) != tc.frames {
				t.Errorf("%d frames, want %d", len(frames), tc.frames)
			}
			switch {
			case tc.errText == "" && tc.errIs == nil && err != nil:
				t.Errorf("error %v, want the end of the capture", err)
			case tc.errText != "" && (err == nil || !strings.Contains(err.Error(), tc.errText)):
				t.Errorf("error %v, want %q", err, tc.errText)
			case tc.errIs != nil && !errors.Is(err, tc.errIs):
				t.Errorf("error %v, want %v", err, tc.errIs)
			}
			if err != nil {
				// The error is sticky.
				if _, again := s.ReadBatch(live.NewBatch(), 0); again == nil || again.Error() != err.Error() {
					t.Errorf("second read: %v, want %v again", again, err)
				}
			}
		})
	}
}

// TestFileSourceInterrupt checks that Interrupt makes the next read return live.ErrInterrupted once, and that
// reading then goes on.
func TestFileSourceInterrupt(t *testing.T) {
	data := pcapBytes(1, slices.Repeat([][]byte{{1, 2, 3}}, 10)...)
	s, err := NewFileSource(bytes.NewReader(data), "mem")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Interrupt()
	if n, err := s.ReadBatch(live.NewBatch(), 0); n != 0 || !errors.Is(err, live.ErrInterrupted) {
		t.Fatalf("after Interrupt: %d, %v", n, err)
	}
	frames, err := readAll(t, s)
	if err != nil || len(frames) != 10 || s.Interface().Name != "mem" {
		t.Fatalf("%d frames, %v, name %q", len(frames), err, s.Interface().Name)
	}
}

// FuzzFileSource reads arbitrary bytes as a capture source: no panic, no batch over its limits, every frame
// within the snap length, and an end within a bounded number of reads.
func FuzzFileSource(f *testing.F) {
	f.Add(pcapBytes(1, []byte{1, 2, 3}, udpFrame(5, 5)))
	f.Add(pcapBytes(231, make([]byte, 100)))
	if raw, err := os.ReadFile("../../testdata/pcaps/ndpi__dns-exf.pcap"); err == nil {
		f.Add(raw)
	}
	b := live.NewBatch() // reused: a batch is 2.5 MB
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := NewFileSource(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		defer s.Close()
		// Every read but the last returns frames (checked below), so the read progresses; a compressed input may
		// hold more frames than its size suggests, so the loop is bounded rather than the input's end awaited.
		for range 1 << 12 {
			b.Reset()
			n, err := s.ReadBatch(b, 0)
			if n != len(b.Frames) || len(b.Frames) > live.BatchFrames || b.Bytes() > live.BatchBytes+live.MaxSnaplen {
				t.Fatalf("ReadBatch returned %d, batch has %d frames, %d bytes", n, len(b.Frames), b.Bytes())
			}
			for _, fr := range b.Frames {
				if len(fr.Data) > live.MaxSnaplen {
					t.Fatalf("frame of %d bytes", len(fr.Data))
				}
			}
			if err != nil {
				return
			}
			if n == 0 {
				t.Fatal("no frames and no error")
			}
		}
	})
}

// TestRunPipeFD replays a capture that another goroutine writes into a pipe, read through its file descriptor
// (as a capture handed over by another process would be): every frame written reaches the capture file.
func TestRunPipeFD(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	sent := testTraffic(3000, 4)
	var records [][]byte
	for _, f := range sent {
		records = append(records, f.data)
	}
	go func() {
		pw.Write(pcapBytes(1, records...))
		pw.Close()
	}()
	src, err := NewFileSource(pr, "pipe") // pr is the pipe's file descriptor, as os.NewFile(fd) would give
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := filepath.Join(t.TempDir(), "out.pcapng")
	st, err := runBounded(t, t.Context(), src, Options{File: out, Wait: true}, 30*time.Second)
	if err != nil || st.Captured != int64(len(sent)) {
		t.Fatalf("captured %d of %d frames: %v", st.Captured, len(sent), err)
	}
	recs := readCapture(t, out)
	if len(recs) != len(sent) {
		t.Fatalf("%d frames written, %d sent", len(recs), len(sent))
	}
	for i, r := range recs {
		if !bytes.Equal(r.Data, sent[i].data) {
			t.Fatalf("frame %d differs from the one sent", i+1)
		}
	}
}
