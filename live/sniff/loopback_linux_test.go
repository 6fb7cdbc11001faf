package sniff

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/live"
	"github.com/pcapframe/pcapframe/sink"
)

// needRoot fails (never skips) a test that opens packet sockets when the process may not.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("live capture needs root (or CAP_NET_RAW): run these tests as root, as CI does")
	}
}

// sendUDP sends 64-byte datagrams numbered 0, 1, ... to 127.0.0.1:port every interval until stop is called (at
// most 30 s). Only the loopback interface is used.
func sendUDP(t *testing.T, port int, interval time.Duration) (stop func()) {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer c.Close()
		msg := make([]byte, 64)
		deadline := time.Now().Add(30 * time.Second)
		for i := uint64(0); time.Now().Before(deadline); i++ {
			select {
			case <-done:
				return
			default:
			}
			binary.BigEndian.PutUint64(msg, i)
			c.Write(msg)
			time.Sleep(interval)
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// udpSink listens on a free UDP port of 127.0.0.1 and discards what it receives (so that no ICMP errors are
// sent).
func udpSink(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := c.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return c.LocalAddr().(*net.UDPAddr).Port
}

// TestRunLoopback captures datagrams the test sends to itself on lo, as a Go user of the package would: Open,
// then Run for a number of packets into a capture file and tables. The datagrams are checked in the file
// (addresses, port, consecutive numbers: the filter let only them through, none lost) and in the tables.
func TestRunLoopback(t *testing.T) {
	needRoot(t)
	port, noise := udpSink(t), udpSink(t)
	stopNoise := sendUDP(t, noise, time.Millisecond)
	defer stopNoise()
	stop := sendUDP(t, port, time.Millisecond)
	defer stop()

	dir := t.TempDir()
	before := time.Now().UnixNano() // the kernel captures from Open on
	h, err := live.Open("lo", live.Options{Filter: fmt.Sprintf("udp and dst port %d", port)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	outs, err := CreateTables(dir, []string{"packets", "flows"}, sink.JSONL)
	if err != nil {
		t.Fatal(err)
	}
	st, err := runBounded(t, context.Background(), h, Options{Count: 120, File: filepath.Join(dir, "lo.pcapng"), Tables: outs}, 30*time.Second)
	after := time.Now().UnixNano()
	if err != nil {
		t.Fatal(err)
	}
	if st.Captured != 120 || st.QueueDrops != 0 || st.TableDrops != 0 || st.Source.Dropped != 0 || len(st.Files) != 1 {
		t.Fatalf("stats %+v", st)
	}
	recs := readCapture(t, st.Files[0])
	if len(recs) != 120 || len(tsharkFields(t, st.Files[0], fmt.Sprintf("udp.dstport == %d", port), "frame.number")) != 120 {
		t.Fatalf("%d frames in the file; tshark must see 120 datagrams to port %d", len(recs), port)
	}
	var first uint64
	for i, r := range recs {
		d := r.Data
		if len(d) != 14+20+8+64 || !bytes.Equal(d[26:34], []byte{127, 0, 0, 1, 127, 0, 0, 1}) || int(binary.BigEndian.Uint16(d[36:])) != port {
			t.Fatalf("frame %d is not a datagram to port %d: % x", i+1, port, d)
		}
		seq := binary.BigEndian.Uint64(d[42:])
		if i == 0 {
			first = seq
		}
		if seq != first+uint64(i) || r.Time < before || r.Time > after {
			t.Fatalf("frame %d: datagram %d at %d; want %d within [%d, %d]", i+1, seq, r.Time, first+uint64(i), before, after)
		}
	}
	packets := readJSONL(t, TablePath(dir, "packets", sink.JSONL))
	flows := readJSONL(t, TablePath(dir, "flows", sink.JSONL))
	if len(packets) != 120 || packets[0]["source"] != st.Files[0] || len(flows) != 1 || flows[0]["orig_pkts"] != json.Number("120") {
		t.Fatalf("%d packet rows (first %v), flows %v; want 120 rows naming the file and one flow of 120 packets", len(packets), packets[0], flows)
	}
}

// TestRunFIFO replays a capture that another writer streams into a named pipe and keeps open: cancelling ctx
// ends the read that waits for more, and the frames already streamed are all written.
func TestRunFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	data := pcapBytes(1, udpFrame(1, 1), udpFrame(1, 2), udpFrame(1, 3))
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(data)
		time.Sleep(5 * time.Second) // keeps the pipe open: the reader waits for more
		f.Close()
	}()
	src, err := OpenFile(fifo)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	st, err := runBounded(t, ctx, src, Options{File: filepath.Join(dir, "out.pcap"), Wait: true}, 30*time.Second)
	if err != nil || st.Captured != 3 || time.Since(start) > 4*time.Second {
		t.Fatalf("captured %d frames in %v, error %v; want 3 frames once ctx is done", st.Captured, time.Since(start), err)
	}
	if recs := readCapture(t, filepath.Join(dir, "out.pcap")); len(recs) != 3 || !bytes.Equal(recs[2].Data, udpFrame(1, 3)) {
		t.Fatalf("%d frames written", len(recs))
	}
}
