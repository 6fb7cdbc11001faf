package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
)

type synthetic struct {
	name string
	data []byte
	err  error // sentinel expected after the records; nil for a clean end
	want []rec
	// tsharkSkip says why tshark is no oracle for this file ("" if it is).
	tsharkSkip string // expected records: Frame, Time, CapLen, WireLen, LinkType, Interface, Section, Comment, Data
}

func le64(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }

// syntheticCaptures builds pcapng files for features the corpus lacks.
// The ones without an error are also checked against tshark.
func syntheticCaptures(t testing.TB) []synthetic {
	p1 := []byte("packet-one-0123456789")
	p2 := bytes.Repeat([]byte{0xab}, 61)
	var s []synthetic
	add := func(name string, b *ngBuilder, err error, want ...rec) {
		s = append(s, synthetic{name: name, data: b.bytes(), err: err, want: want})
	}
	skipTshark := func(why string) { s[len(s)-1].tsharkSkip = why }
	const sec = 1_700_000_000

	b := new(ngBuilder).shb(false).idb(1, 0, ngOpt{9, []byte{0x80 | 10}})
	b.epb(0, sec*1024+512, p1, 100).epb(0, sec*1024+1, p2, 61)
	add("tsresol 2^-10", b, nil,
		rec{Frame: 1, Time: sec*1e9 + 500_000_000, CapLen: len(p1), WireLen: 100, LinkType: 1, Data: p1},
		rec{Frame: 2, Time: sec*1e9 + 976_562, CapLen: len(p2), WireLen: 61, LinkType: 1, Data: p2})

	b = new(ngBuilder).shb(false).idb(101, 0, ngOpt{9, []byte{0x80 | 30}})
	b.epb(0, sec<<30|(1<<29), p1, 21)
	add("tsresol 2^-30", b, nil, rec{Frame: 1, Time: sec*1e9 + 500_000_000, CapLen: len(p1), WireLen: 21, LinkType: 101, Data: p1})

	b = new(ngBuilder).shb(false).idb(1, 0, ngOpt{9, []byte{3}})
	b.epb(0, sec*1000+123, p1, 21)
	add("tsresol 1e-3", b, nil, rec{Frame: 1, Time: sec*1e9 + 123_000_000, CapLen: len(p1), WireLen: 21, LinkType: 1, Data: p1})

	b = new(ngBuilder).shb(true).idb(1, 0, ngOpt{9, []byte{12}})
	b.epb(0, 1234567890123456789, p1, 21)
	add("tsresol 1e-12 big-endian", b, nil, rec{Frame: 1, Time: 1234567*1e9 + 890123456, CapLen: len(p1), WireLen: 21, LinkType: 1, Data: p1})
	skipTshark("wireshark 4.0 overflows 64 bits converting units finer than 1 ns (it shows .004679741)")

	b = new(ngBuilder).shb(false).idb(1, 0, ngOpt{14, le64(1_000_000_000)})
	b.epb(0, 5_000_001, p1, 21)
	add("tsoffset", b, nil, rec{Frame: 1, Time: 1_000_000_005*1e9 + 1000, CapLen: len(p1), WireLen: 21, LinkType: 1, Data: p1})

	b = new(ngBuilder).shb(false).idb(1, 0, ngOpt{9, []byte{9}}, ngOpt{14, le64(-100)})
	b.epb(0, sec*1e9+7, p1, 21)
	add("negative tsoffset nsec", b, nil, rec{Frame: 1, Time: (sec-100)*1e9 + 7, CapLen: len(p1), WireLen: 21, LinkType: 1, Data: p1})

	b = new(ngBuilder).shb(false).idb(1, 0).idb(105, 0)
	b.pb(1, sec*1e6, p2, 61, optStr(1, "obsolete block"))
	b.epb(0, sec*1e6+1, p1, 21, optStr(1, "first"), optStr(1, "second"))
	add("packet block and comments", b, nil,
		rec{Frame: 1, Time: sec * 1e9, CapLen: len(p2), WireLen: 61, LinkType: 105, Interface: 1, Comment: "obsolete block", Data: p2},
		rec{Frame: 2, Time: sec*1e9 + 1000, CapLen: len(p1), WireLen: 21, LinkType: 1, Comment: "first\nsecond", Data: p1})

	b = new(ngBuilder).shb(false).idb(1, 8)
	b.spb(100, p1[:8]).spb(4, p1[:4])
	add("simple packet blocks", b, nil,
		rec{Frame: 1, CapLen: 8, WireLen: 100, LinkType: 1, Data: p1[:8], NoTime: true},
		rec{Frame: 2, CapLen: 4, WireLen: 4, LinkType: 1, Data: p1[:4], NoTime: true})

	b = new(ngBuilder).shb(false).idb(1, 0)
	b.spb(1000, p1) // wire length larger than the block holds: take what is there (padded to 4)
	add("simple packet block shorter than wire length", b, nil, rec{Frame: 1, CapLen: 24, WireLen: 1000, LinkType: 1, Data: append(bytes.Clone(p1), 0, 0, 0), NoTime: true})
	skipTshark("wireshark rejects it; we keep what the block holds: caplen = min(wire length, snap length, block space)")

	b = new(ngBuilder).shb(true, optStr(2, "hw"), optStr(3, "os"), optStr(4, "app"), optStr(1, "section comment")).idb(1, 0, optStr(2, "eth0"))
	b.epb(0, sec*1e6, p1, 21)
	b.shb(false).idb(113, 0, optStr(2, "any")).idb(1, 0)
	b.epb(1, sec*1e6, p2, 61).epb(0, sec*1e6, p1, 21)
	add("sections switch byte order", b, nil,
		rec{Frame: 1, Time: sec * 1e9, CapLen: len(p1), WireLen: 21, LinkType: 1, Data: p1},
		rec{Frame: 2, Time: sec * 1e9, CapLen: len(p2), WireLen: 61, LinkType: 1, Interface: 1, Section: 1, Data: p2},
		rec{Frame: 3, Time: sec * 1e9, CapLen: len(p1), WireLen: 21, LinkType: 113, Interface: 0, Section: 1, Data: p1})

	b = new(ngBuilder).shb(false).idb(1, 0)
	b.block(4, []byte{1, 0, 9, 0, 10, 0, 0, 1, 'h', 'o', 's', 't', 0, 0, 0, 0, 0, 0, 0, 0}) // NRB
	b.block(5, make([]byte, 12))                                                            // ISB
	b.block(10, []byte{0x4b, 0x53, 0x4c, 0x54, 4, 0, 0, 0, 'k', 'e', 'y', 's'})             // DSB
	b.block(0x1234, []byte{1, 2, 3, 4})                                                     // unknown
	b.epb(0, sec*1e6, p1, 21)
	b.block(0x40000bad, []byte{0x39, 0x7f, 0, 0, 1, 2, 3, 4}) // custom: a frame to Wireshark
	b.epb(0, sec*1e6, p2, 61)
	b.block(9, []byte("__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=hello\n")) // journal entry: a frame too
	b.epb(0, sec*1e6, p1, 21)
	add("skips non-packet blocks", b, nil,
		rec{Frame: 1, Time: sec * 1e9, CapLen: len(p1), WireLen: 21, LinkType: 1, Data: p1},
		rec{Frame: 3, Time: sec * 1e9, CapLen: len(p2), WireLen: 61, LinkType: 1, Data: p2},
		rec{Frame: 5, Time: sec * 1e9, CapLen: len(p1), WireLen: 21, LinkType: 1, Data: p1})

	// Damaged and hostile files.
	good := func() *ngBuilder { return new(ngBuilder).shb(false).idb(1, 0).epb(0, sec*1e6, p1, 21) }
	one := rec{Frame: 1, Time: sec * 1e9, CapLen: len(p1), WireLen: 21, LinkType: 1, Data: p1}
	add("unknown interface", good().epb(3, 0, p1, 21), ErrCorrupt, one)
	add("packet block unknown interface", good().pb(1, 0, p1, 21), ErrCorrupt, one)
	add("simple packet block without interface", new(ngBuilder).shb(false).spb(10, p1), ErrCorrupt)
	b = new(ngBuilder).shb(false).idb(1, 0)
	b.shb(false).epb(0, 0, p1, 21) // a new section forgets the interfaces
	add("interface of previous section", b, ErrCorrupt)
	add("unsupported section version", good().block(0x0a0d0d0a, []byte{0x4d, 0x3c, 0x2b, 0x1a, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), ErrUnsupported, one)
	add("bad byte-order magic", good().block(0x0a0d0d0a, []byte{1, 2, 3, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), ErrCorrupt, one)

	raw := good().bytes()
	withLen := func(n uint32) []byte {
		x := append(bytes.Clone(raw), 6, 0, 0, 0)
		x = binary.LittleEndian.AppendUint32(x, n)
		return append(x, make([]byte, 64)...)
	}
	add2 := func(name string, data []byte, err error, want ...rec) {
		s = append(s, synthetic{name: name, data: data, err: err, want: want})
	}
	add2("block length not a multiple of 4", withLen(34), ErrCorrupt, one)
	add2("block length below minimum", withLen(20), ErrCorrupt, one)
	add2("block length below 12", withLen(8), ErrCorrupt, one)
	add2("block length over 16 MiB", withLen(MaxBlockLen+4), ErrCorrupt, one)
	add2("block length 16 MiB truncated", withLen(MaxBlockLen), ErrTruncated, one)
	add2("block length 4 GiB", withLen(0xfffffffc), ErrCorrupt, one)

	x := good().epb(0, 0, p2, 61).bytes()
	binary.LittleEndian.PutUint32(x[len(x)-4:], 1234)
	add2("trailer mismatch", x, ErrCorrupt, one)

	x = good().epb(0, 0, p2, 61).bytes()
	binary.LittleEndian.PutUint32(x[len(x)-(len(p2)+3)-4-4-4:], 500) // caplen field of the second EPB
	add2("caplen beyond block", x, ErrCorrupt, one)

	x = good().epb(0, 0, p1, 21, optStr(1, "comment")).bytes()
	binary.LittleEndian.PutUint16(x[len(x)-4-4-8-2:], 200) // the comment's length field
	add2("option overruns block", x, ErrCorrupt, one)
	return s
}

func TestPcapngSynthetic(t *testing.T) {
	for _, tc := range syntheticCaptures(t) {
		t.Run(tc.name, func(t *testing.T) {
			_, got, err := readBytes(t, "s.pcapng", tc.data)
			if tc.err == nil && err != nil {
				t.Fatalf("error %v", err)
			}
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				e := asError(t, err)
				if e.Frame != int64(len(tc.want)) {
					t.Errorf("Error.Frame %d, want %d", e.Frame, len(tc.want))
				}
				checkMessage(t, err, "s.pcapng")
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d records, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				g.Offset = 0
				if g.Frame != w.Frame || g.Time != w.Time || g.CapLen != w.CapLen || g.WireLen != w.WireLen || g.LinkType != w.LinkType ||
					g.Interface != w.Interface || g.Section != w.Section || g.Comment != w.Comment || !bytes.Equal(g.Data, w.Data) {
					t.Errorf("record %d\n got %+v\nwant %+v", i, g, w)
				}
			}
		})
	}
}

func TestInterfaceMetadata(t *testing.T) {
	b := new(ngBuilder).shb(true, optStr(2, "hw"), optStr(3, "os"), optStr(4, "app"), optStr(1, "c1"), optStr(1, "c2"))
	b.idb(1, 96, optStr(2, "eth0"), optStr(3, "uplink"), optStr(1, "if comment"), ngOpt{9, []byte{0x80 | 20}}, ngOpt{14, binary.BigEndian.AppendUint64(nil, 7)})
	r, _, err := readBytes(t, "m.pcapng", b.bytes())
	if err != nil {
		t.Fatal(err)
	}
	secs := r.Sections()
	if len(secs) != 1 || secs[0] != (Section{Index: 0, Major: 1, Minor: 0, BigEndian: true, Hardware: "hw", OS: "os", UserAppl: "app", Comment: "c1\nc2"}) {
		t.Errorf("sections %+v", secs)
	}
	ifs := r.Interfaces()
	want := Interface{LinkType: 1, Name: "eth0", Description: "uplink", SnapLen: 96, TSResolution: "2^-20", TSOffset: 7, Comment: "if comment"}
	if len(ifs) != 1 || ifs[0] != want {
		t.Errorf("interfaces %+v, want %+v", ifs, want)
	}
}

func TestTimeResolutions(t *testing.T) {
	tests := []struct {
		res  byte
		ts   uint64
		want int64
	}{
		{6, 1_500_000, 1_500_000_000},
		{9, 1_500_000_001, 1_500_000_001},
		{0, 3, 3e9},
		{1, 15, 1_500_000_000},
		{12, 1_000_000_000_001, 1e9},
		{19, 10_000_000_000_000_000_000, 1e9},
		{20, 12_345_678_901_234_567_890, 123_456_789},
		{29, 1 << 63, 0},
		{0x80 | 0, 2, 2e9},
		{0x80 | 1, 3, 1_500_000_000},
		{0x80 | 63, 1 << 62, 500_000_000},
		{0x80 | 64, 1 << 63, 500_000_000},
		{0x80 | 127, 1 << 63, 0},
	}
	for _, tc := range tests {
		var ng ngIface
		ng.setResolution(tc.res)
		if got, ok := ng.time(tc.ts); got != tc.want || !ok {
			t.Errorf("tsresol 0x%02x ts %d: got %d, %v, want %d, true", tc.res, tc.ts, got, ok, tc.want)
		}
	}
}

// TestHostileLengthsDoNotAllocate checks that a header claiming a huge
// record in a small file costs no more memory than the file holds.
func TestHostileLengthsDoNotAllocate(t *testing.T) {
	le := binary.LittleEndian
	cases := map[string][]byte{
		// D-Bus records may be 128 MiB, so this one is read, not rejected.
		"pcap dbus 128 MiB": pcapFile(le, 0xa1b2c3d4, 2, 4, 231, pcapRec(le, 1, 0, 128<<20, 128<<20, make([]byte, 100))),
		"pcapng 16 MiB block": append(new(ngBuilder).shb(false).idb(1, 0).bytes(),
			6, 0, 0, 0, 0, 0, 0, 1), // EPB of length 16 MiB with no body
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, _, err := readBytes(t, "h", data)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("error %v, want ErrTruncated", err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
				t.Errorf("allocated %d bytes for a %d-byte input", n, len(data))
			}
		})
	}
}

func TestTooManyInterfaces(t *testing.T) {
	b := new(ngBuilder).shb(false)
	for range MaxInterfaces + 1 {
		b.idb(1, 0)
	}
	_, _, err := readBytes(t, "i.pcapng", b.bytes())
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %v, want ErrCorrupt", err)
	}
}

// TestTimeOutOfRange checks that timestamps outside [MinTime, MaxTime]
// (hostile if_tsoffset, if_tsresol or fraction fields) are reported as
// absent, keep the time of the record before, and are counted by the
// summary; expected values are computed by hand.
func TestTimeOutOfRange(t *testing.T) {
	le := binary.LittleEndian
	p := []byte("0123456789abcdef")
	const sec = 1_700_000_000
	ng := func(ifaces [][]ngOpt, epbs ...[2]uint64) []byte { // epb: interface, timestamp
		b := new(ngBuilder).shb(false)
		for _, o := range ifaces {
			b.idb(1, 0, o...)
		}
		for _, e := range epbs {
			b.epb(uint32(e[0]), e[1], p, uint32(len(p)))
		}
		return b.bytes()
	}
	plain := []ngOpt(nil)
	tests := []struct {
		name  string
		data  []byte
		times []int64 // per record; -1: out of range
	}{
		{"tsoffset +2^62", ng([][]ngOpt{plain, {{14, le64(1 << 62)}}}, [2]uint64{0, sec * 1e6}, [2]uint64{1, sec * 1e6}, [2]uint64{0, sec*1e6 + 1}),
			[]int64{sec * 1e9, -1, sec*1e9 + 1000}},
		{"tsoffset -2^62", ng([][]ngOpt{{{14, le64(-1 << 62)}}, plain}, [2]uint64{0, sec * 1e6}, [2]uint64{1, sec * 1e6}),
			[]int64{-1, sec * 1e9}},
		{"tsoffset to int64's ends", ng([][]ngOpt{{{14, le64(9223372034 - sec)}}, {{14, le64(-9223372034 - sec)}}}, [2]uint64{0, sec * 1e6}, [2]uint64{1, sec * 1e6}),
			[]int64{-1, -1}}, // once saturated to about +-9.2e18 ns, whose difference overflowed
		{"tsoffset -2^63 and max timestamp", ng([][]ngOpt{{{14, le64(-1 << 63)}}}, [2]uint64{0, 1<<64 - 1}),
			[]int64{-1}},
		{"tsresol 1e0 huge seconds", ng([][]ngOpt{{{9, []byte{0}}}}, [2]uint64{0, 5}, [2]uint64{0, 1 << 40}),
			[]int64{5e9, -1}},
		{"tsresol 2^-1 past 2116", ng([][]ngOpt{{{9, []byte{0x80 | 1}}}}, [2]uint64{0, 1 << 33}, [2]uint64{0, 1 << 34}),
			[]int64{1 << 32 * 1e9, -1}},
		{"last valid nanosecond", ng([][]ngOpt{{{9, []byte{9}}}}, [2]uint64{0, 1<<62 - 1}, [2]uint64{0, 1 << 62}),
			[]int64{1<<62 - 1, -1}},
		{"tsoffset to the last valid second", ng([][]ngOpt{{{14, le64(4611686018 - 10)}}}, [2]uint64{0, 10_000_000}, [2]uint64{0, 11_000_000}),
			[]int64{4611686018 * 1e9, -1}},
		{"pcap-nsec 2106 with a fraction past the unit", pcapFile(le, 0xa1b23c4d, 2, 4, 1,
			pcapRec(le, 1<<32-1, 1<<32-1, 16, 16, p)),
			[]int64{(1<<32-1)*1e9 + 1<<32 - 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, recs, err := readBytes(t, "t", tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(tc.times) {
				t.Fatalf("%d records, want %d", len(recs), len(tc.times))
			}
			var prev, first, last, bad int64
			have := false
			for i, x := range recs {
				w := tc.times[i]
				if w < 0 {
					bad++
					if !x.NoTime || x.Time != prev {
						t.Errorf("record %d: time %d, no time %v; want out of range with the time before (%d)", i, x.Time, x.NoTime, prev)
					}
					continue
				}
				if x.NoTime || x.Time != w {
					t.Errorf("record %d: time %d, no time %v; want %d", i, x.Time, x.NoTime, w)
				}
				prev = w
				if !have || w < first {
					first = w
				}
				if !have || w > last {
					last = w
				}
				have = true
			}
			rd, err := NewReader(bytes.NewReader(tc.data), "t")
			if err != nil {
				t.Fatal(err)
			}
			s := SummarizeReader(rd)
			if s.TimeOutOfRange != bad || s.Timed != int64(len(recs))-bad || s.First != first || s.Last != last {
				t.Errorf("summary: %d out of range, %d timed, first %d, last %d; want %d, %d, %d, %d",
					s.TimeOutOfRange, s.Timed, s.First, s.Last, bad, int64(len(recs))-bad, first, last)
			}
		})
	}
}
