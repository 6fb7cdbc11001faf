package live

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/capture"
)

// freeUDPPort returns a UDP port on 127.0.0.1 that nothing listens on, and a socket bound to it that
// receives (so that no ICMP port-unreachable replies join the capture).
func listenUDP(t testing.TB) (*net.UDPConn, int) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.LocalAddr().(*net.UDPAddr).Port
}

// sendUDP sends n datagrams of size bytes from a fresh socket to 127.0.0.1:port.
func sendUDP(t testing.TB, port, n, size int) {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := make([]byte, size)
	for i := range n {
		binary.BigEndian.PutUint32(msg, uint32(i))
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
}

// readN reads frames until n arrived or the deadline passed.
func readN(t testing.TB, h *Handle, n int, within time.Duration) []Frame {
	t.Helper()
	var got []Frame
	deadline := time.Now().Add(within)
	for len(got) < n && time.Now().Before(deadline) {
		b := NewBatch()
		if _, err := h.ReadBatch(b, 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		got = append(got, b.Frames...)
	}
	return got
}

func TestCaptureLoopbackUDP(t *testing.T) {
	needRoot(t)
	_, port := listenUDP(t)
	_, other := listenUDP(t)
	h, err := Open("lo", Options{Filter: "udp and dst port " + itoa(port)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.LinkType() != 1 {
		t.Fatalf("link type %d, want 1 (Ethernet)", h.LinkType())
	}
	before := time.Now().UnixNano()
	sendUDP(t, other, 50, 100) // must not be captured
	sendUDP(t, port, 200, 100)
	sendUDP(t, other, 50, 100)
	got := readN(t, h, 200, 5*time.Second)
	// Give stray frames a chance to show up.
	b := NewBatch()
	h.ReadBatch(b, 300*time.Millisecond)
	got = append(got, b.Frames...)
	after := time.Now().UnixNano()
	if len(got) != 200 {
		t.Fatalf("captured %d frames, want 200 (each datagram once, none to port %d)", len(got), other)
	}
	for i, f := range got {
		d := f.Data
		if len(d) != 14+20+8+100 || f.WireLen != len(d) {
			t.Fatalf("frame %d: %d bytes (wire %d), want 142", i, len(d), f.WireLen)
		}
		if et := binary.BigEndian.Uint16(d[12:]); et != 0x0800 || d[23] != 17 {
			t.Fatalf("frame %d: ethertype %#x proto %d, want IPv4 UDP", i, et, d[23])
		}
		if dp := int(binary.BigEndian.Uint16(d[36:])); dp != port {
			t.Fatalf("frame %d: destination port %d, want %d", i, dp, port)
		}
		if seq := binary.BigEndian.Uint32(d[42:]); seq != uint32(i) {
			t.Fatalf("frame %d carries datagram %d: order or duplicates wrong", i, seq)
		}
		if f.Time < before || f.Time > after {
			t.Fatalf("frame %d: time %d outside the test's window [%d, %d]", i, f.Time, before, after)
		}
	}
	st, err := h.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Received != 200 || st.Dropped != 0 {
		t.Errorf("kernel stats %+v, want 200 received and 0 dropped", st)
	}
}

func TestSnaplen(t *testing.T) {
	needRoot(t)
	_, port := listenUDP(t)
	h, err := Open("lo", Options{Filter: "udp port " + itoa(port), Snaplen: 60})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	sendUDP(t, port, 3, 1000)
	got := readN(t, h, 3, 5*time.Second)
	if len(got) != 3 {
		t.Fatalf("captured %d frames, want 3", len(got))
	}
	for _, f := range got {
		if len(f.Data) != 60 || f.WireLen != 14+20+8+1000 {
			t.Errorf("kept %d of %d bytes, want 60 of 1042", len(f.Data), f.WireLen)
		}
	}
}

func TestInterrupt(t *testing.T) {
	needRoot(t)
	h, err := Open("lo", Options{Filter: "udp port 9 and host 127.0.0.254"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	go func() {
		time.Sleep(100 * time.Millisecond)
		h.Interrupt()
	}()
	start := time.Now()
	_, err = h.ReadBatch(NewBatch(), 10*time.Second)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("ReadBatch = %v, want ErrInterrupted", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("interrupt took %v", d)
	}
}

func TestOpenErrors(t *testing.T) {
	needRoot(t)
	if _, err := Open("nosuch0", Options{}); !errors.Is(err, ErrNoInterface) {
		t.Errorf("missing interface: %v, want ErrNoInterface", err)
	}
	if _, err := Open("lo", Options{Filter: "tcp port 99999"}); err == nil {
		t.Errorf("invalid filter opened")
	}
}

func itoa(v int) string { return fmtInt(v) }

// FuzzReadBlock feeds arbitrary ring blocks to the block reader: whatever the headers say, it must not read
// outside the block or panic, and every frame it returns lies within the block's bytes.
func FuzzReadBlock(f *testing.F) {
	f.Add(validBlock())
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := &Handle{ring: make([]byte, 4096), bsize: 4096, nblocks: 1, ifc: Interface{LinkType: 1}}
		copy(h.ring, data)
		b := NewBatch()
		h.readBlock(0, b)
		for _, fr := range b.Frames {
			if len(fr.Data) > 4096+4 {
				t.Fatalf("frame of %d bytes from a 4096-byte block", len(fr.Data))
			}
		}
		if h.ready(0) {
			t.Fatal("block not given back to the kernel")
		}
	})
}

func TestReadBlock(t *testing.T) {
	h := &Handle{ring: validBlock(), bsize: 4096, nblocks: 1, ifc: Interface{LinkType: 1}}
	b := NewBatch()
	h.readBlock(0, b)
	if len(b.Frames) != 2 {
		t.Fatalf("%d frames, want 2", len(b.Frames))
	}
	for i, f := range b.Frames {
		if f.Time != 1700000000*1e9+int64(i) || len(f.Data) != 60 || f.WireLen != 60 || f.Data[0] != byte(i+1) {
			t.Errorf("frame %d: %+v", i, f)
		}
	}
}

// validBlock is a ring block with two 60-byte frames, laid out as the kernel does.
func validBlock() []byte {
	blk := make([]byte, 4096)
	binary.LittleEndian.PutUint32(blk[8:], 1)   // block_status: TP_STATUS_USER
	binary.LittleEndian.PutUint32(blk[12:], 2)  // num_pkts
	binary.LittleEndian.PutUint32(blk[16:], 48) // offset_to_first_pkt
	for i, off := range []int{48, 48 + 256} {
		binary.LittleEndian.PutUint32(blk[off:], uint32(256*(1-i))) // next_offset
		binary.LittleEndian.PutUint32(blk[off+4:], 1700000000)      // sec
		binary.LittleEndian.PutUint32(blk[off+12:], 60)             // snaplen
		binary.LittleEndian.PutUint32(blk[off+16:], 60)             // len
		binary.LittleEndian.PutUint32(blk[off+8:], uint32(i))       // nsec
		binary.LittleEndian.PutUint16(blk[off+24:], 96)             // mac
		blk[off+96] = byte(i + 1)
	}
	return blk
}

// TestCaptureVariedSizes sends datagrams of every size from 1 to 300 bytes, so that frames sit at every
// alignment in the ring's blocks, and checks each arrives once, in order, with its length.
func TestCaptureVariedSizes(t *testing.T) {
	needRoot(t)
	_, port := listenUDP(t)
	h, err := Open("lo", Options{Filter: "udp and dst port " + itoa(port)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for size := 1; size <= 300; size++ {
		if _, err := c.Write(make([]byte, size)); err != nil {
			t.Fatal(err)
		}
	}
	got := readN(t, h, 300, 5*time.Second)
	if len(got) != 300 {
		t.Fatalf("captured %d frames, want 300", len(got))
	}
	for i, f := range got {
		if len(f.Data) != 42+i+1 || f.WireLen != len(f.Data) {
			t.Fatalf("frame %d: %d bytes (wire %d), want %d", i, len(f.Data), f.WireLen, 42+i+1)
		}
	}
}

// TestReadBlockVLAN checks that a frame whose VLAN tag the kernel took off (TP_STATUS_VLAN_VALID, the tag in
// the frame header) gets it back where it was, as libpcap puts it back: each tagged frame of two real captures
// is laid in a ring block without its outer tag, as the kernel delivers it, and must come out as it was
// captured. Without TP_STATUS_VLAN_TPID_VALID (kernels before 3.14) the tag's type is 0x8100.
func TestReadBlockVLAN(t *testing.T) {
	const statusVLAN, statusTPID = 0x10, 0x40 // TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID
	tested := 0
	for _, name := range []string{"tcpdump__802.1ad_QinQ.pcap", "zeek__mixed-vlan-mpls.pcap"} {
		r, err := capture.Open(filepath.Join("..", "testdata", "pcaps", name))
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := r.Next()
			if err != nil {
				break
			}
			orig := rec.Data
			tpid := binary.BigEndian.Uint16(orig[12:])
			if len(orig) < 18 || len(orig) > 1500 || (tpid != 0x8100 && tpid != 0x88a8) {
				continue
			}
			for _, withTPID := range []bool{true, false} {
				if !withTPID && tpid != 0x8100 {
					continue
				}
				stripped := append(append([]byte(nil), orig[:12]...), orig[16:]...)
				blk := make([]byte, 4096)
				binary.LittleEndian.PutUint32(blk[8:], 1)   // block_status: TP_STATUS_USER
				binary.LittleEndian.PutUint32(blk[12:], 1)  // num_pkts
				binary.LittleEndian.PutUint32(blk[16:], 48) // offset_to_first_pkt
				const off, mac = 48, 96
				binary.LittleEndian.PutUint32(blk[off+4:], 1700000000)                                  // sec
				binary.LittleEndian.PutUint32(blk[off+12:], uint32(len(stripped)))                      // snaplen
				binary.LittleEndian.PutUint32(blk[off+16:], uint32(rec.WireLen-4))                      // len
				binary.LittleEndian.PutUint16(blk[off+24:], mac)                                        // mac
				binary.LittleEndian.PutUint32(blk[off+32:], uint32(binary.BigEndian.Uint16(orig[14:]))) // hv1.tp_vlan_tci
				status := uint32(statusVLAN)
				if withTPID {
					status |= statusTPID
					binary.LittleEndian.PutUint16(blk[off+36:], tpid) // hv1.tp_vlan_tpid
				}
				binary.LittleEndian.PutUint32(blk[off+20:], status)
				copy(blk[off+mac:], stripped)
				h := &Handle{ring: blk, bsize: 4096, nblocks: 1, ifc: Interface{LinkType: 1}}
				b := NewBatch()
				h.readBlock(0, b)
				if len(b.Frames) != 1 {
					t.Fatalf("%s frame %d: %d frames", name, rec.Frame, len(b.Frames))
				}
				if f := b.Frames[0]; !bytes.Equal(f.Data, orig) || f.WireLen != rec.WireLen {
					t.Fatalf("%s frame %d (tpid %v): got %x (wire %d), want %x (wire %d)", name, rec.Frame, withTPID, f.Data, f.WireLen, orig, rec.WireLen)
				}
				tested++
			}
		}
		r.Close()
	}
	if tested < 10 {
		t.Fatalf("only %d tagged frames tested", tested)
	}
}
