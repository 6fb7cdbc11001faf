package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// pcapng block types.
const (
	blockSHB          = 0x0a0d0d0a
	blockIDB          = 0x00000001
	blockPB           = 0x00000002 // obsolete Packet Block
	blockSPB          = 0x00000003
	blockNRB          = 0x00000004
	blockISB          = 0x00000005
	blockEPB          = 0x00000006
	blockJournal      = 0x00000009 // systemd Journal Export Block
	blockDSB          = 0x0000000a
	blockCustom       = 0x00000bad
	blockCustomNoCopy = 0x40000bad
)

const pcapngBOMSwapped = 0x4d3c2b1a

// ngIface is the per-interface state needed to decode packets.
type ngIface struct {
	linkType uint32
	snapLen  uint32
	maxCap   int
	binary   bool   // if_tsresol is 2^-exp (else 10^-exp)
	exp      uint8  // if_tsresol exponent
	units    uint64 // timestamp units per second; 0 if it does not fit in 64 bits
	scale    uint64 // nanoseconds per unit when units divides 1e9, else 0
	offset   int64  // if_tsoffset, seconds
}

func (ng *ngIface) setResolution(v byte) {
	ng.binary = v&0x80 != 0
	ng.exp = v & 0x7f
	ng.units, ng.scale = 0, 0
	if ng.binary {
		if ng.exp < 64 {
			ng.units = 1 << ng.exp
		}
	} else if ng.exp <= 19 {
		ng.units = 1
		for range ng.exp {
			ng.units *= 10
		}
	}
	if ng.units != 0 && 1e9%ng.units == 0 {
		ng.scale = 1e9 / ng.units
	}
}

func (ng *ngIface) resolution() string {
	if ng.binary {
		return fmt.Sprintf("2^-%d", ng.exp)
	}
	return fmt.Sprintf("1e-%d", ng.exp)
}

// time converts a pcapng timestamp to Unix nanoseconds, truncating
// sub-nanosecond digits as Wireshark does; false if the result is outside
// [MinTime, MaxTime].
func (ng *ngIface) time(ts uint64) (int64, bool) {
	var secs, ns uint64
	switch {
	case ng.scale != 0:
		secs, ns = ts/ng.units, ts%ng.units*ng.scale
	case ng.units != 0:
		secs = ts / ng.units
		hi, lo := bits.Mul64(ts%ng.units, 1e9)
		ns, _ = bits.Div64(hi, lo, ng.units) // hi < units: cannot overflow
	case ng.binary: // 2^-exp with exp >= 64: the whole range is under a second
		hi, _ := bits.Mul64(ts, 1e9)
		ns = hi >> (ng.exp - 64)
	default: // 10^-exp with exp >= 20: likewise
		ns = ts
		for i := 9; i < int(ng.exp) && ns > 0; i++ {
			ns /= 10
		}
	}
	return nsTime(secs, ns, ng.offset)
}

func blockName(typ uint32) string {
	switch typ {
	case blockSHB:
		return "section header block"
	case blockIDB:
		return "interface description block"
	case blockPB:
		return "packet block"
	case blockSPB:
		return "simple packet block"
	case blockNRB:
		return "name resolution block"
	case blockISB:
		return "interface statistics block"
	case blockEPB:
		return "enhanced packet block"
	case blockJournal:
		return "systemd journal export block"
	case blockDSB:
		return "decryption secrets block"
	case blockCustom, blockCustomNoCopy:
		return "custom block"
	}
	return fmt.Sprintf("block of type 0x%08x", typ)
}

func minBlockLen(typ uint32) uint32 {
	switch typ {
	case blockSHB:
		return 28
	case blockEPB, blockPB:
		return 32
	case blockIDB:
		return 20
	case blockSPB:
		return 16
	case blockISB:
		return 24
	}
	return 12
}

func isPacketBlock(typ uint32) bool {
	return typ == blockEPB || typ == blockPB || typ == blockSPB
}

// frameNote names the frame a packet block would have been.
func (r *Reader) frameNote(typ uint32) string {
	if isPacketBlock(typ) {
		return fmt.Sprintf("frame %d, ", r.frame+1)
	}
	return ""
}

// readPcapngHeader reads the first Section Header Block.
func (r *Reader) readPcapngHeader() error {
	r.format = FormatPcapng
	r.section = -1
	h, err := r.br.Peek(28)
	if len(h) < 28 {
		if err != io.EOF {
			return r.readError(0, err)
		}
		if e := r.truncatedStream(); e != nil {
			return e
		}
		return r.fail(0, true, ErrNotCapture, "not a capture file (pcapng header truncated: %d of 28 bytes at offset 0%s)", len(h), r.streamWord())
	}
	switch binary.LittleEndian.Uint32(h[8:]) {
	case pcapngBOM, pcapngBOMSwapped:
	default:
		return r.fail(0, false, ErrNotCapture, "not a capture file (pcapng block type but no byte-order magic at offset 8%s)", r.streamWord())
	}
	typ, start, body, err := r.block()
	if err != nil {
		return err
	}
	if typ != blockSHB { // cannot happen: the magic is the SHB type
		return r.fail(start, false, ErrCorrupt, "pcapng does not start with a section header block")
	}
	return r.parseSHB(start, body)
}

// block reads the next pcapng block and returns its type, offset and body
// (the bytes between the length field and the trailing length). A
// clean end of input is io.EOF.
func (r *Reader) block() (typ uint32, start int64, body []byte, err error) {
	start = r.off
	h, perr := r.br.Peek(12)
	if len(h) == 0 {
		return 0, start, nil, r.atEOF(perr)
	}
	if len(h) < 8 {
		r.take(len(h))
		return 0, start, nil, r.short(start, perr, "truncated block header (%d of 8 bytes present)", len(h))
	}
	typ = r.u32(h) // the SHB type is a palindrome: its byte order does not matter
	if typ == blockSHB {
		if len(h) < 12 {
			r.take(len(h))
			return typ, start, nil, r.short(start, perr, "truncated section header block (%d of 28 bytes present)", len(h))
		}
		switch bom := binary.LittleEndian.Uint32(h[8:]); bom {
		case pcapngBOM:
			r.be = false
		case pcapngBOMSwapped:
			r.be = true
		default:
			return typ, start, nil, r.fail(start, false, ErrCorrupt, "section header block has a bad byte-order magic 0x%08x", bom)
		}
	}
	blen := r.u32(h[4:])
	switch {
	case blen%4 != 0:
		return typ, start, nil, r.fail(start, false, ErrCorrupt, "%s length %d is not a multiple of 4", blockName(typ), blen)
	case blen < minBlockLen(typ):
		return typ, start, nil, r.fail(start, false, ErrCorrupt, "%s length %d is below the minimum of %d", blockName(typ), blen, minBlockLen(typ))
	case blen > MaxBlockLen:
		return typ, start, nil, r.fail(start, false, ErrCorrupt, "%s length %d exceeds the maximum of %d", blockName(typ), blen, MaxBlockLen)
	}
	b, terr := r.take(int(blen))
	if len(b) < int(blen) {
		return typ, start, nil, r.short(start, terr, "truncated %s (%sblock length says %d bytes, %d present)", blockName(typ), r.frameNote(typ), blen, len(b))
	}
	if tl := r.u32(b[blen-4:]); tl != blen {
		return typ, start, nil, r.fail(start, false, ErrCorrupt, "%s trailer length %d does not match its header length %d", blockName(typ), tl, blen)
	}
	return typ, start, b[8 : blen-4], nil
}

func (r *Reader) nextPcapng() error {
	for {
		typ, start, body, err := r.block()
		if err != nil {
			return err
		}
		switch typ {
		case blockEPB, blockPB:
			return r.parsePacket(start, typ, body)
		case blockSPB:
			return r.parseSPB(start, body)
		case blockIDB:
			if err := r.parseIDB(start, body); err != nil {
				return err
			}
		case blockSHB:
			if err := r.parseSHB(start, body); err != nil {
				return err
			}
		case blockCustom, blockCustomNoCopy, blockJournal:
			// Wireshark shows these as frames: count them so that Frame
			// stays equal to Wireshark's frame.number.
			r.frame++
		default:
			// NRB, ISB, DSB and unknown blocks carry no packets.
		}
	}
}

// opt splits the first option off b. done is true at opt_endofopt or when
// fewer than 4 bytes remain; bad is true if the value overruns b.
func (r *Reader) opt(b []byte) (code uint16, val, rest []byte, done, bad bool) {
	if len(b) < 4 {
		return 0, nil, nil, true, false
	}
	code = r.u16(b)
	if code == 0 {
		return 0, nil, nil, true, false
	}
	n := int(r.u16(b[2:]))
	if 4+n > len(b) {
		return code, nil, nil, false, true
	}
	val = b[4 : 4+n]
	if p := 4 + (n+3)&^3; p <= len(b) {
		rest = b[p:]
	}
	return code, val, rest, false, false
}

func (r *Reader) badOption(start int64, typ uint32, code uint16, b []byte) error {
	return r.fail(start, false, ErrCorrupt, "option %d of %s (%slength %d) overruns the block", code, blockName(typ), r.frameNote(typ), r.u16(b[2:]))
}

// cstr cuts an option string at its first NUL: some writers include a
// terminator (and garbage after it) in the option length, and Wireshark
// shows the string up to the NUL.
func cstr(v []byte) []byte {
	if i := bytes.IndexByte(v, 0); i >= 0 {
		return v[:i]
	}
	return v
}

// keep copies a metadata string within the metadata budget.
func (r *Reader) keep(v []byte) string {
	v = cstr(v)
	n := min(len(v), r.budget)
	r.budget -= n
	return string(v[:n])
}

func appendComment(c, v string) string {
	if c == "" {
		return v
	}
	return c + "\n" + v
}

func (r *Reader) parseSHB(start int64, body []byte) error {
	major, minor := r.u16(body[4:]), r.u16(body[6:])
	if major != 1 {
		return r.fail(start, false, ErrUnsupported, "unsupported pcapng section version %d.%d (only version 1.x is supported)", major, minor)
	}
	if len(r.sections) >= MaxSections {
		return r.fail(start, false, ErrCorrupt, "too many sections (more than %d)", MaxSections)
	}
	sec := Section{Index: len(r.sections), Major: major, Minor: minor, BigEndian: r.be}
	for o := body[16:]; ; {
		code, val, rest, done, bad := r.opt(o)
		if bad {
			return r.badOption(start, blockSHB, code, o)
		}
		if done {
			break
		}
		switch code {
		case 1:
			sec.Comment = appendComment(sec.Comment, r.keep(val))
		case 2:
			sec.Hardware = r.keep(val)
		case 3:
			sec.OS = r.keep(val)
		case 4:
			sec.UserAppl = r.keep(val)
		}
		o = rest
	}
	r.sections = append(r.sections, sec)
	r.section = sec.Index
	r.secIf = r.secIf[:0]
	r.rec.Section = r.section
	return nil
}

func (r *Reader) parseIDB(start int64, body []byte) error {
	if len(r.ifaces) >= MaxInterfaces {
		return r.fail(start, false, ErrCorrupt, "too many interfaces (more than %d)", MaxInterfaces)
	}
	lt, snap := uint32(r.u16(body)), r.u32(body[4:])
	ng := ngIface{linkType: lt, snapLen: snap, maxCap: maxCapLen(lt)}
	ifc := Interface{Section: r.section, Index: len(r.secIf), LinkType: lt, SnapLen: snap}
	tsres := byte(6)
	for o := body[8:]; ; {
		code, val, rest, done, bad := r.opt(o)
		if bad {
			return r.badOption(start, blockIDB, code, o)
		}
		if done {
			break
		}
		switch code {
		case 1:
			ifc.Comment = appendComment(ifc.Comment, r.keep(val))
		case 2:
			ifc.Name = r.keep(val)
		case 3:
			ifc.Description = r.keep(val)
		case 9:
			if len(val) >= 1 {
				tsres = val[0]
			}
		case 14:
			if len(val) >= 8 {
				ng.offset = int64(r.u64(val))
			}
		}
		o = rest
	}
	ng.setResolution(tsres)
	ifc.TSResolution = ng.resolution()
	ifc.TSOffset = ng.offset
	r.secIf = append(r.secIf, ng)
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

// parsePacket decodes an Enhanced Packet Block or an obsolete Packet Block;
// their layouts differ only in the width of the interface ID.
func (r *Reader) parsePacket(start int64, typ uint32, body []byte) error {
	var ifid uint32
	if typ == blockEPB {
		ifid = r.u32(body)
	} else {
		ifid = uint32(r.u16(body))
	}
	if ifid >= uint32(len(r.secIf)) {
		return r.fail(start, false, ErrCorrupt, "%s of frame %d references interface %d, but section %d has %s",
			blockName(typ), r.frame+1, ifid, r.section, plural(int64(len(r.secIf)), "interface"))
	}
	ng := &r.secIf[ifid]
	ts := uint64(r.u32(body[4:]))<<32 | uint64(r.u32(body[8:]))
	caplen, wirelen := r.u32(body[12:]), r.u32(body[16:])
	if caplen > uint32(len(body)-20) {
		return r.fail(start, false, ErrCorrupt, "%s of frame %d says %d captured bytes, but the block holds only %d",
			blockName(typ), r.frame+1, caplen, len(body)-20)
	}
	if caplen > uint32(ng.maxCap) {
		return r.fail(start, false, ErrCorrupt, "record length %d exceeds the maximum of %d for link type %d (frame %d)",
			caplen, ng.maxCap, ng.linkType, r.frame+1)
	}
	end := 20 + int(caplen)
	comment := ""
	if p := 20 + (int(caplen)+3)&^3; p < len(body) {
		for o := body[p:]; ; {
			code, val, rest, done, bad := r.opt(o)
			if bad {
				return r.badOption(start, typ, code, o)
			}
			if done {
				break
			}
			if code == 1 {
				comment = appendComment(comment, string(cstr(val)))
			}
			o = rest
		}
	}
	r.frame++
	rec := &r.rec
	rec.Frame = r.frame
	rec.Offset = start
	r.setTime(ng.time(ts))
	rec.CapLen = int(caplen)
	rec.WireLen = int(wirelen)
	rec.LinkType = ng.linkType
	rec.Interface = int(ifid)
	rec.Comment = comment
	rec.Data = body[20:end:end]
	return nil
}

func (r *Reader) parseSPB(start int64, body []byte) error {
	if len(r.secIf) == 0 {
		return r.fail(start, false, ErrCorrupt, "simple packet block of frame %d, but section %d has no interface", r.frame+1, r.section)
	}
	ng := &r.secIf[0]
	wirelen := r.u32(body)
	caplen := min(wirelen, uint32(len(body)-4))
	if ng.snapLen != 0 {
		caplen = min(caplen, ng.snapLen)
	}
	if caplen > uint32(ng.maxCap) {
		return r.fail(start, false, ErrCorrupt, "record length %d exceeds the maximum of %d for link type %d (frame %d)",
			caplen, ng.maxCap, ng.linkType, r.frame+1)
	}
	end := 4 + int(caplen)
	r.frame++
	rec := &r.rec
	rec.Frame = r.frame
	rec.Offset = start
	rec.NoTime = true // rec.Time stays the record before's, so that analyzers that need an order keep one
	rec.TimeOutOfRange = false
	rec.CapLen = int(caplen)
	rec.WireLen = int(wirelen)
	rec.LinkType = ng.linkType
	rec.Interface = 0
	rec.Comment = ""
	rec.Data = body[4:end:end]
	return nil
}
