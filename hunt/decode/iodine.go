package decode

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// decodeIodine rebuilds the IP packets an iodine client sent upstream. A data query's name (dots removed) is:
// the user id as one hex digit, three characters of iodine's base32 holding the packet's sequence number (3
// bits), fragment number (4 bits), the downstream acknowledgement and the last-fragment bit, one cache-defeating
// character, then the fragment in the session's codec (base32, base64, base64u or base128). The fragments of a
// packet joined in order are the packet compressed with zlib. Other queries (v, l, i, z, s, o, y, r, n, p) are
// the handshake and pings.
func decodeIodine(r *Result, items []item, opts Options) error {
	type frag struct {
		data []byte
		last bool
	}
	type asm struct {
		frags map[int]frag
		user  byte
	}
	// the codec: from the characters of every data query's payload
	var payload strings.Builder
	type dq struct {
		user, seq, frag int
		last            bool
		text            string
		ts              int64
	}
	var qs []dq
	for _, it := range items {
		in := dataText(it.labels)
		if len(in) < 6 || !isHexDigit(in[0]) || !validIodineHeader([]byte(in[1:4])) {
			continue
		}
		h1, h2, h3 := b32val(in[1]), b32val(in[2]), b32val(in[3])
		d := dq{
			user: hexVal(in[0]),
			seq:  h1 >> 2 & 7,
			frag: (h1&3)<<2 | h2>>3&3,
			last: h3&1 == 1,
			text: in[5:],
			ts:   it.q.TS,
		}
		qs = append(qs, d)
		payload.WriteString(d.text)
	}
	c := classify(payload.String())
	switch {
	case c.high:
		r.Encoding = IodineBase128
	case c.lower && c.upper && c.under:
		r.Encoding = IodineBase64U
	case c.lower && c.upper:
		r.Encoding = IodineBase64
	default:
		r.Encoding = IodineBase32
	}
	if opts.Encoding != "" {
		r.Encoding = opts.Encoding
	}
	r.Why = "iodine's data queries; the codec from the characters of their payload"
	r.Sequenced = true
	r.Compression = "zlib"
	pending := map[[2]int]*asm{} // by user and sequence number
	recent := make([]string, 0, 32)
	bad := 0
	var total int64
	for _, d := range qs {
		key := string(rune(d.user)) + string(rune(d.seq)) + string(rune(d.frag)) + d.text
		if containsStr(recent, key) {
			r.Duplicates++
			continue
		}
		b, err := DecodeString(r.Encoding, d.text)
		if err != nil {
			bad++
			continue
		}
		k := [2]int{d.user, d.seq}
		a := pending[k]
		if a == nil || d.frag == 0 {
			a = &asm{frags: map[int]frag{}}
			pending[k] = a
		}
		if _, ok := a.frags[d.frag]; ok {
			r.Duplicates++
			continue
		}
		a.frags[d.frag] = frag{data: b, last: d.last}
		r.Chunks++
		if len(recent) == cap(recent) {
			recent = recent[1:]
		}
		recent = append(recent, key)
		// complete when fragments 0..n are there and n is the last
		var joined []byte
		complete := false
		for i := 0; i < 16; i++ {
			f, ok := a.frags[i]
			if !ok {
				break
			}
			joined = append(joined, f.data...)
			if f.last {
				complete = true
				break
			}
		}
		if !complete {
			continue
		}
		delete(pending, k)
		zr, err := zlib.NewReader(bytes.NewReader(joined))
		if err != nil {
			bad++
			continue
		}
		pkt, err := io.ReadAll(io.LimitReader(zr, 1<<16+1))
		if err != nil || len(pkt) > 1<<16 {
			bad++
			continue
		}
		// Linux tun devices without IFF_NO_PI, and the BSDs, put a 4-byte header before the packet
		if len(pkt) >= 24 && pkt[0] == 0 && pkt[1] == 0 && (binary.BigEndian.Uint16(pkt[2:]) == 0x0800 || binary.BigEndian.Uint16(pkt[2:]) == 0x86dd) {
			pkt = pkt[4:]
		}
		total += int64(len(pkt))
		if total > opts.Limit {
			return fmt.Errorf("decode: %w", ErrTooLarge)
		}
		r.Packets = append(r.Packets, Packet{TS: d.ts, Data: pkt})
	}
	if len(pending) > 0 {
		r.note("%d packet(s) left incomplete (fragments missing)", len(pending))
	}
	if bad > 0 {
		r.note("%d fragment(s) or packet(s) did not decode or decompress", bad)
	}
	r.Decoded = len(r.Packets) > 0
	if r.Decoded {
		r.MIME, r.Extension = "application/vnd.tcpdump.pcap", ".pcap"
		r.note("%d IP packet(s) sent through the tunnel by the client, written as a pcap (raw IP); the server's packets travel in NULL/TXT answers, not decoded", len(r.Packets))
	} else {
		r.note("no complete iodine packet: best guess iodine (its handshake queries), codec %s", r.Encoding)
	}
	return nil
}

func b32val(c byte) int { return strings.IndexByte(iodine32, c|0x20) }

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// unzipOne returns the name and contents of the first file of a zip archive, at most limit bytes.
func unzipOne(b []byte, limit int64) (string, []byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", nil, err
	}
	if len(zr.File) == 0 {
		return "", nil, fmt.Errorf("empty zip archive")
	}
	f := zr.File[0]
	rc, err := f.Open()
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	out, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return "", nil, err
	}
	if int64(len(out)) > limit {
		return "", nil, ErrTooLarge
	}
	return f.Name, out, nil
}

// LinkTypeRaw is the pcap link type of packets that begin with their IP header (LINKTYPE_RAW).
const LinkTypeRaw = 101

// WritePcap writes packets as a pcap file with nanosecond timestamps and link type LINKTYPE_RAW.
func WritePcap(w io.Writer, packets []Packet) error {
	bw := bufio.NewWriter(w)
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b23c4d)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 1<<16)
	binary.LittleEndian.PutUint32(h[20:], LinkTypeRaw)
	if _, err := bw.Write(h[:]); err != nil {
		return err
	}
	for _, p := range packets {
		var rh [16]byte
		binary.LittleEndian.PutUint32(rh[0:], uint32(p.TS/1e9))
		binary.LittleEndian.PutUint32(rh[4:], uint32(p.TS%1e9))
		binary.LittleEndian.PutUint32(rh[8:], uint32(len(p.Data)))
		binary.LittleEndian.PutUint32(rh[12:], uint32(len(p.Data)))
		if _, err := bw.Write(rh[:]); err != nil {
			return err
		}
		if _, err := bw.Write(p.Data); err != nil {
			return err
		}
	}
	return bw.Flush()
}
