package sniff

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/live"
)

// testFrame is one frame of a capture the tests write themselves, so that what Run writes can be checked
// against what was sent.
type testFrame struct {
	time int64
	data []byte
}

// udpFrame builds an Ethernet/IPv4/UDP frame from 10.0.0.1:sport to 10.0.0.2:9 whose 8-byte payload is seq.
func udpFrame(sport uint16, seq uint64) []byte {
	f := make([]byte, 14+20+8+8)
	copy(f[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(f[6:12], []byte{2, 0, 0, 0, 0, 1})
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], 20+8+8)
	copy(ip[12:16], []byte{10, 0, 0, 1})
	copy(ip[16:20], []byte{10, 0, 0, 2})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], 9)
	binary.BigEndian.PutUint16(udp[4:], 8+8)
	binary.BigEndian.PutUint64(udp[8:], seq)
	return f
}

// testTraffic returns n frames from the source ports 1000..1000+ports-1 in turn, 1 ms apart from a fixed time.
func testTraffic(n, ports int) []testFrame {
	const t0 = 1_700_000_000_000_000_000
	out := make([]testFrame, n)
	for i := range out {
		out[i] = testFrame{time: t0 + int64(i)*1e6, data: udpFrame(uint16(1000+i%ports), uint64(i))}
	}
	return out
}

// writeCapture writes frames to a pcap or pcapng file (nanosecond timestamps) with gopacket's encoders.
func writeCapture(t testing.TB, path string, frames []testFrame) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	var write func(ci gopacket.CaptureInfo, data []byte) error
	if strings.HasSuffix(path, ".pcapng") {
		w, err := pcapgo.NewNgWriter(bw, layers.LinkTypeEthernet)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Flush()
		write = w.WritePacket
	} else {
		w := pcapgo.NewWriterNanos(bw)
		if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
			t.Fatal(err)
		}
		write = w.WritePacket
	}
	for _, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, fr.time), CaptureLength: len(fr.data), Length: len(fr.data)}
		if err := write(ci, fr.data); err != nil {
			t.Fatal(err)
		}
	}
	defer bw.Flush()
}

// readCapture reads a capture file back with package capture.
func readCapture(t testing.TB, path string) []capture.Record {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []capture.Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		c := *rec
		c.Data = bytes.Clone(rec.Data)
		out = append(out, c)
	}
}

// tsharkFields runs tshark on path and returns the fields of each frame (display filter filter, if any).
func tsharkFields(t testing.TB, path, filter string, fields ...string) [][]string {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("these tests check against tshark: install it (apt-get install -y tshark)")
	}
	args := []string{"-n", "-r", path, "-T", "fields", "-E", "separator=\t"}
	if filter != "" {
		args = append(args, "-Y", filter)
	}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	var rows [][]string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	return rows
}

// readJSONL reads a JSON Lines table.
func readJSONL(t testing.TB, path string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s: %v in %q", path, err, line)
		}
		rows = append(rows, r)
	}
	return rows
}

// fakeSource hands out test frames as a live capture would: batches of perBatch frames, limit frames in all
// (then io.EOF, or err), or none at all (idle: every read waits its timeout).
type fakeSource struct {
	frame    []byte
	perBatch int
	limit    int64 // < 0: endless
	err      error
	idle     bool
	pace     time.Duration // sleep before each batch

	sent       int64
	interrupts chan struct{}
}

func newFakeSource(perBatch int, limit int64) *fakeSource {
	return &fakeSource{frame: udpFrame(1000, 0), perBatch: perBatch, limit: limit, interrupts: make(chan struct{}, 1)}
}

func (s *fakeSource) Interface() live.Interface { return live.Interface{Name: "fake0", LinkType: 1} }
func (s *fakeSource) LinkType() int             { return 1 }
func (s *fakeSource) Snaplen() int              { return live.MaxSnaplen }
func (s *fakeSource) Stats() (live.Stats, error) {
	return live.Stats{Received: uint64(atomic.LoadInt64(&s.sent)), Dropped: 7}, nil
}

func (s *fakeSource) Interrupt() {
	select {
	case s.interrupts <- struct{}{}:
	default:
	}
}

func (s *fakeSource) ReadBatch(b *live.Batch, timeout time.Duration) (int, error) {
	select {
	case <-s.interrupts:
		return 0, live.ErrInterrupted
	default:
	}
	if s.idle {
		select {
		case <-s.interrupts:
			return 0, live.ErrInterrupted
		case <-time.After(timeout):
			return 0, nil
		}
	}
	time.Sleep(s.pace)
	sent := atomic.LoadInt64(&s.sent)
	if s.limit >= 0 && sent >= s.limit {
		if s.err != nil {
			return 0, s.err
		}
		return 0, io.EOF
	}
	n := int64(s.perBatch)
	if s.limit >= 0 {
		n = min(n, s.limit-sent)
	}
	for i := range n {
		binary.BigEndian.PutUint64(s.frame[len(s.frame)-8:], uint64(sent+i))
		b.Append(1_700_000_000_000_000_000+(sent+i)*1000, len(s.frame), s.frame)
	}
	atomic.AddInt64(&s.sent, n)
	return int(n), nil
}

// countWriter is a tables.Writer that counts the rows it is given, optionally slowly or failing.
type countWriter struct {
	delay  time.Duration
	failAt int // fail the failAt-th Write (1-based); 0 never

	mu              sync.Mutex
	rows, writes    int
	closed, aborted bool
}

var errWriterFull = errors.New("test writer failed")

func (w *countWriter) Write(rows any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if w.failAt > 0 && w.writes >= w.failAt {
		return errWriterFull
	}
	time.Sleep(w.delay)
	w.rows += reflect.ValueOf(rows).Len()
	return nil
}

func (w *countWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return nil
}

func (w *countWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.aborted = true
	return nil
}

func (w *countWriter) state() (rows int, closed, aborted bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rows, w.closed, w.aborted
}
