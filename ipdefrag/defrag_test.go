package ipdefrag

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"
	"time"
)

var (
	src4 = [4]byte{10, 0, 0, 1}
	dst4 = [4]byte{10, 0, 0, 2}
)

// frag4 builds an IPv4 fragment: data at byte offset off (a multiple of 8) of datagram id, MF set when more.
func frag4(id uint16, off int, more bool, data []byte) []byte {
	h := make([]byte, 20, 20+len(data))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:4], uint16(20+len(data)))
	binary.BigEndian.PutUint16(h[4:6], id)
	fo := uint16(off / 8)
	if more {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(h[6:8], fo)
	h[8] = 64
	h[9] = 17
	copy(h[12:16], src4[:])
	copy(h[16:20], dst4[:])
	return append(h, data...)
}

// frag6 builds an IPv6 fragment with a destination-options header (8 bytes) before the fragment header, so that
// the reassembler must patch a next-header byte that is not the fixed header's.
func frag6(id uint32, off int, more bool, data []byte) []byte {
	b := make([]byte, 40+8+8, 56+len(data))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:6], uint16(16+len(data)))
	b[6] = 60 // destination options
	b[7] = 64
	b[8], b[23] = 0x20, 1
	b[24], b[39] = 0x20, 2
	b[40] = 44 // next: fragment
	b[41] = 0  // 8 bytes
	b[42] = 1  // PadN
	b[43] = 4
	b[48] = 17 // next: UDP
	fo := uint16(off/8) << 3
	if more {
		fo |= 1
	}
	binary.BigEndian.PutUint16(b[50:52], fo)
	binary.BigEndian.PutUint32(b[52:56], id)
	return append(b, data...)
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

func checksumOK(h []byte) bool {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return sum == 0xffff
}

type in struct {
	off  int
	more bool
	data []byte
}

// TestReassemble4 reassembles IPv4 datagrams delivered in several orders, with repeats; the expected datagram
// is the one the fragments were cut from.
func TestReassemble4(t *testing.T) {
	whole := pattern(3000, 1)
	cut := func(order ...int) []in {
		parts := []in{{0, true, whole[:1480]}, {1480, true, whole[1480:2960]}, {2960, false, whole[2960:]}}
		out := make([]in, len(order))
		for i, o := range order {
			out[i] = parts[o]
		}
		return out
	}
	tests := []struct {
		name   string
		frags  []in
		frames []int64
		dups   int64
	}{
		{"in order", cut(0, 1, 2), []int64{1, 2, 3}, 0},
		{"reversed", cut(2, 1, 0), []int64{1, 2, 3}, 0},
		{"last first", cut(2, 0, 1), []int64{1, 2, 3}, 0},
		{"repeated", cut(0, 0, 1, 2), []int64{1, 2, 3, 4}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := New(Options{})
			var out []byte
			for i, f := range tc.frags {
				var st Status
				out, st = d.Add(nil, frag4(7, f.off, f.more, f.data), int64(i)*1e6, int64(i+1))
				if want := Held; i == len(tc.frags)-1 {
					want = Complete
					if st != want {
						t.Fatalf("fragment %d: %v, want %v", i, st, want)
					}
				} else if st != want {
					t.Fatalf("fragment %d: %v, want %v", i, st, want)
				}
			}
			if len(out) != 20+len(whole) || !bytes.Equal(out[20:], whole) {
				t.Fatalf("payload differs (len %d)", len(out))
			}
			if tl := binary.BigEndian.Uint16(out[2:4]); int(tl) != len(out) || out[6]&0x3f != 0 || out[7] != 0 {
				t.Errorf("header: total length %d, flags/offset %x", tl, out[6:8])
			}
			if !checksumOK(out[:20]) {
				t.Error("bad header checksum")
			}
			if got := d.Frames(); !equal(got, tc.frames) {
				t.Errorf("frames %v, want %v", got, tc.frames)
			}
			if s := d.Stats(); s.Duplicates != tc.dups || s.Datagrams != 1 || d.Pending() != 0 {
				t.Errorf("stats %+v pending %d", s, d.Pending())
			}
		})
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReassemble6 reassembles an IPv6 datagram whose fragment header follows a destination-options header: the
// result keeps that header, names UDP in it and has the payload length of the whole (RFC 8200 4.5).
func TestReassemble6(t *testing.T) {
	whole := pattern(2000, 3)
	d := New(Options{})
	if _, st := d.Add(nil, frag6(0xdeadbeef, 1232, false, whole[1232:]), 0, 1); st != Held {
		t.Fatal(st)
	}
	out, st := d.Add(nil, frag6(0xdeadbeef, 0, true, whole[:1232]), 1, 2)
	if st != Complete {
		t.Fatal(st)
	}
	if len(out) != 48+len(whole) || !bytes.Equal(out[48:], whole) {
		t.Fatalf("len %d", len(out))
	}
	if out[6] != 60 || out[40] != 17 || binary.BigEndian.Uint16(out[4:6]) != uint16(8+len(whole)) {
		t.Errorf("header %x", out[:48])
	}
	// An atomic fragment is a whole datagram at once.
	out, st = d.Add(nil, frag6(5, 0, false, whole[:100]), 2, 3)
	if st != Complete || len(out) != 148 || out[40] != 17 {
		t.Errorf("atomic fragment: %v, %d bytes", st, len(out))
	}
	// Not fragments.
	for _, b := range [][]byte{nil, {0x45}, frag4(1, 0, false, whole[:10]), make([]byte, 40)} {
		if _, st := d.Add(nil, b, 3, 4); st != NotFragment {
			t.Errorf("% x...: %v", b[:min(len(b), 8)], st)
		}
	}
}

var a, b, c = bytes.Repeat([]byte{'a'}, 24), bytes.Repeat([]byte{'b'}, 24), bytes.Repeat([]byte{'c'}, 16)

// overlapCases are overlapping fragments and the datagram Wireshark's rule makes of them.
var overlapCases = []struct {
	name  string
	frags []in
	want  string
}{
	// [0,24) a; [8,32) b: bytes 8-23 from a (lower offset), 24-31 from b; [32,48) c final.
	{"later overlaps the end", []in{{0, true, a}, {8, true, b}, {32, false, c}}, "aaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbcccccccccccccccc"},
	// Same, received in the other order: the rule is by offset, not arrival.
	{"earlier overlaps the start", []in{{8, true, b}, {0, true, a}, {32, false, c}}, "aaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbcccccccccccccccc"},
	// Two fragments at offset 0: the first received wins.
	{"same offset", []in{{0, true, b}, {0, true, a}, {24, false, c}}, "bbbbbbbbbbbbbbbbbbbbbbbbcccccccccccccccc"},
	// A final fragment ending at 40 fixes the end; a later one reaching 48 adds nothing.
	{"two finals", []in{{24, false, c}, {32, false, c}, {0, true, a}}, "aaaaaaaaaaaaaaaaaaaaaaaacccccccccccccccc"},
}

// TestOverlaps resolves overlapping fragments as Wireshark does: each byte from the fragment with the lowest
// offset that covers it, the first received among equal offsets; nothing past the first final fragment's end.
// The expected bytes are worked out by hand from that rule (TestOverlapsMatchTshark checks the rule itself
// against tshark).
func TestOverlaps(t *testing.T) {
	for _, tc := range overlapCases {
		t.Run(tc.name, func(t *testing.T) {
			d := New(Options{})
			var out []byte
			st := Held
			for i, f := range tc.frags {
				out, st = d.Add(nil, frag4(9, f.off, f.more, f.data), int64(i), int64(i+1))
			}
			if st != Complete {
				t.Fatalf("status %v", st)
			}
			if got := string(out[20:]); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if d.Stats().Overlaps == 0 {
				t.Error("no overlap counted")
			}
		})
	}
}

// TestHostile feeds what an attacker sends: fragments past 65,535 bytes, truncated ones, too many of them,
// datagrams that never complete, and checks that each is dropped and counted.
func TestHostile(t *testing.T) {
	t.Run("oversized", func(t *testing.T) {
		d := New(Options{})
		if _, st := d.Add(nil, frag4(1, 8189*8, false, make([]byte, 100)), 0, 1); st != Dropped || d.Stats().Oversized != 1 {
			t.Errorf("%v %+v", st, d.Stats())
		}
		// The largest datagram that fits: 65,515 bytes after a 20-byte header.
		if _, st := d.Add(nil, frag4(2, 65512-8, false, make([]byte, 11)), 0, 2); st != Held {
			t.Errorf("edge: %v", st)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		d := New(Options{})
		d.Add(nil, frag4(1, 0, true, make([]byte, 16)), 0, 1)
		f := frag4(1, 16, false, make([]byte, 16))
		if _, st := d.Add(nil, f[:30], 0, 2); st != Dropped || d.Stats().Truncated != 1 || d.Pending() != 0 {
			t.Errorf("%v %+v pending %d", st, d.Stats(), d.Pending())
		}
	})
	t.Run("too many fragments", func(t *testing.T) {
		d := New(Options{MaxFragments: 100})
		var st Status
		for i := range 101 {
			_, st = d.Add(nil, frag4(1, i*8, true, make([]byte, 8)), 0, int64(i))
		}
		if st != Dropped || d.Stats().TooMany != 1 || d.Pending() != 0 {
			t.Errorf("%v %+v", st, d.Stats())
		}
	})
	t.Run("timeout", func(t *testing.T) {
		d := New(Options{Timeout: 30 * time.Second})
		d.Add(nil, frag4(1, 0, true, make([]byte, 16)), 0, 1)
		if _, st := d.Add(nil, frag4(1, 16, false, make([]byte, 16)), int64(31*time.Second), 2); st != Held || d.Stats().TimedOut != 1 {
			t.Errorf("%v %+v", st, d.Stats())
		}
	})
	t.Run("a million never completed", func(t *testing.T) {
		d := New(Options{MaxDatagrams: 1000, MaxBytes: 1 << 20})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		data := make([]byte, 1400)
		for i := range 1_000_000 {
			p := frag4(uint16(i), 0, true, data)
			copy(p[12:16], []byte{byte(i >> 16), byte(i >> 8), 0, 1}) // new source every 65,536 ids
			d.Add(nil, p, int64(i), int64(i))
			if d.Pending() > 1000 || d.held > 1<<20 {
				t.Fatalf("after %d: %d pending, %d bytes held", i, d.Pending(), d.held)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 8<<20 {
			t.Errorf("heap grew by %d bytes", grew)
		}
		s := d.Stats()
		if s.Evicted < 990_000 || s.MaxPending > 1000 || s.MaxHeldByte > 1<<20 {
			t.Errorf("%+v", s)
		}
		d.Close()
		if d.Pending() != 0 || d.held != 0 || d.Stats().Incomplete == 0 {
			t.Errorf("after Close: %d pending, %d held, %+v", d.Pending(), d.held, d.Stats())
		}
	})
	t.Run("malformed", func(t *testing.T) {
		d := New(Options{})
		f := frag4(1, 0, true, make([]byte, 16))
		binary.BigEndian.PutUint16(f[2:4], 10) // total length below the header
		if _, st := d.Add(nil, f, 0, 1); st != Dropped {
			t.Error(st)
		}
		f = frag4(1, 8, true, nil) // no data
		if _, st := d.Add(nil, f, 0, 2); st != Dropped {
			t.Error(st)
		}
	})
}

// TestNoAllocs checks that a warmed-up defragmenter reassembles without allocating.
func TestNoAllocs(t *testing.T) {
	d := New(Options{})
	whole := pattern(3000, 1)
	f := [][]byte{frag4(7, 0, true, whole[:1480]), frag4(7, 1480, true, whole[1480:2960]), frag4(7, 2960, false, whole[2960:])}
	buf := make([]byte, 0, 4096)
	run := func() {
		for i, p := range f {
			buf, _ = d.Add(buf[:0], p, int64(i), int64(i))
		}
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("%v allocations per datagram", n)
	}
}

// BenchmarkDefrag reassembles 3-fragment IPv4 datagrams of 3,000 bytes.
func BenchmarkDefrag(b *testing.B) {
	d := New(Options{})
	whole := pattern(3000, 1)
	f := [][]byte{frag4(7, 0, true, whole[:1480]), frag4(7, 1480, true, whole[1480:2960]), frag4(7, 2960, false, whole[2960:])}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(3000)
	for i := 0; b.Loop(); i++ {
		for j, p := range f {
			buf, _ = d.Add(buf[:0], p, int64(i), int64(j))
		}
	}
}

// FuzzDefrag feeds fragments of two datagrams (IPv4 and IPv6) made from the input: offsets, lengths, flags and
// times from each 6 bytes. Whatever they are, the bounds hold and a reassembled packet is a whole IP packet
// whose length field matches its bytes.
func FuzzDefrag(f *testing.F) {
	f.Add([]byte{0, 0, 1, 10, 0, 0, 0, 1, 0, 10, 0, 0})
	f.Add([]byte{1, 0, 1, 200, 0, 1, 1, 0, 0, 200, 1, 0, 0, 3, 0, 5, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		d := New(Options{MaxDatagrams: 4, MaxBytes: 1 << 16, MaxFragments: 16, Timeout: time.Second})
		var tm int64
		for i := 0; len(in) >= 6 && i < 256; i++ {
			x := in[:6]
			in = in[6:]
			off := int(binary.BigEndian.Uint16(x[1:3])&0x1fff) * 8
			n := int(x[3]) * 4
			more := x[4]&1 == 1
			tm += int64(x[5]) * 1e7
			var p []byte
			if x[0]&1 == 0 {
				p = frag4(uint16(x[0]>>1), off, more, pattern(n, x[0]))
			} else {
				p = frag6(uint32(x[0]>>1), off, more, pattern(n, x[0]))
			}
			if x[4]&2 != 0 && len(p) > 0 {
				p = p[:len(p)-int(x[4]>>2)%len(p)] // snap length cut
			}
			out, st := d.Add(nil, p, tm, int64(i))
			if d.Pending() > 4 || d.held > 1<<16 || d.held < 0 {
				t.Fatalf("%d pending, %d held", d.Pending(), d.held)
			}
			if st != Complete {
				continue
			}
			switch out[0] >> 4 {
			case 4:
				if int(binary.BigEndian.Uint16(out[2:4])) != len(out) || !checksumOK(out[:20]) {
					t.Fatalf("bad IPv4 result: len %d header %x", len(out), out[:20])
				}
			case 6:
				if int(binary.BigEndian.Uint16(out[4:6]))+40 != len(out) || len(out) > 40+65535 {
					t.Fatalf("bad IPv6 result: len %d", len(out))
				}
			default:
				t.Fatal("not IP")
			}
			if len(d.Frames()) == 0 {
				t.Fatal("no frames")
			}
		}
		d.Close()
		if d.Pending() != 0 || d.held != 0 {
			t.Fatal("not empty after Close")
		}
	})
}
