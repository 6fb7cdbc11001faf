package capture

import (
	"encoding/binary"
	"io"
)

// readPcapHeader reads the 24-byte classic pcap file header.
func (r *Reader) readPcapHeader(f Format) error {
	h, err := r.br.Peek(24)
	if len(h) < 24 {
		if err != io.EOF {
			return r.readError(0, err)
		}
		if e := r.truncatedStream(); e != nil {
			return e
		}
		return r.fail(0, true, ErrNotCapture, "not a capture file (pcap header truncated: %d of 24 bytes at offset 0%s)", len(h), r.streamWord())
	}
	r.format = f
	switch binary.LittleEndian.Uint32(h) {
	case magicPcapBE, magicPcapNsecBE, magicPcapModBE:
		r.be = true
	}
	major, minor := r.u16(h[4:]), r.u16(h[6:])
	if major != 2 {
		return r.fail(4, false, ErrUnsupported, "unsupported pcap version %d.%d (only version 2.x is supported)", major, minor)
	}
	switch {
	case minor < 3:
		r.swap = swapped
	case minor == 3:
		r.swap = maybeSwapped
	}
	snap := r.u32(h[16:])
	// The upper 16 bits hold the FCS length and flags; libpcap keeps the low
	// 16 bits as the link type.
	r.linkType = r.u32(h[20:]) & 0xffff
	r.maxCap = maxCapLen(r.linkType)
	r.hdrLen = 16
	r.fracMul = 1000
	res := "1e-6"
	switch f {
	case FormatPcapNsec:
		r.fracMul = 1
		res = "1e-9"
	case FormatPcapModified:
		r.hdrLen = 24
	}
	r.ifaces = []Interface{{LinkType: r.linkType, SnapLen: snap, TSResolution: res}}
	r.br.Discard(24)
	r.off = 24
	r.rec.LinkType = r.linkType
	return nil
}

func (r *Reader) nextPcap() error {
	start := r.off
	h, err := r.take(r.hdrLen)
	if len(h) < r.hdrLen {
		if len(h) == 0 {
			return r.atEOF(err)
		}
		return r.short(start, err, "truncated record header (frame %d: %d of %d bytes present)", r.frame+1, len(h), r.hdrLen)
	}
	sec, frac := r.u32(h), r.u32(h[4:])
	incl, orig := r.u32(h[8:]), r.u32(h[12:])
	if r.swap == swapped || r.swap == maybeSwapped && incl > orig {
		incl, orig = orig, incl
	}
	if incl > uint32(r.maxCap) {
		return r.fail(start, false, ErrCorrupt, "record length %d exceeds the maximum of %d for link type %d (frame %d)", incl, r.maxCap, r.linkType, r.frame+1)
	}
	data, err := r.take(int(incl))
	if len(data) < int(incl) {
		return r.short(start, err, "truncated record (frame %d header says %d bytes, %d present)", r.frame+1, incl, len(data))
	}
	r.frame++
	rec := &r.rec
	rec.Frame = r.frame
	rec.Offset = start
	// The fraction is scaled in 32 bits, as Wireshark and libpcap-based
	// readers do: an out-of-range microsecond field (>= 4294968) wraps.
	t := int64(sec)*1e9 + int64(frac*r.fracMul) // at most (2^32-1)*1e9 + 2^32-1: no overflow, always <= MaxTime
	r.setTime(t, t <= MaxTime)
	rec.CapLen = int(incl)
	rec.WireLen = int(orig)
	rec.Data = data
	return nil
}
