package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// testdataDir holds the curated corpus shared by the repository's tests.
const testdataDir = "../testdata/pcaps"

func testFile(name string) string { return filepath.Join(testdataDir, name) }

func readTestFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testFile(name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

// corpusFiles lists the capture files in testdata/pcaps.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	ents, err := os.ReadDir(testdataDir)
	if err != nil {
		t.Fatalf("read %s: %v", testdataDir, err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), ".tsv") && !strings.HasSuffix(e.Name(), ".md") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names
}

// rec is a deep copy of a Record.
type rec struct {
	Frame, Offset, Time int64
	CapLen, WireLen     int
	LinkType            uint32
	Interface, Section  int
	Comment             string
	Data                []byte
	NoTime              bool
}

func copyRec(r *Record) rec {
	return rec{r.Frame, r.Offset, r.Time, r.CapLen, r.WireLen, r.LinkType, r.Interface, r.Section, r.Comment, bytes.Clone(r.Data), r.NoTime}
}

// readAll reads every record; err is nil at a clean end.
func readAll(t testing.TB, r *Reader) ([]rec, error) {
	t.Helper()
	var out []rec
	for {
		x, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			if x != nil {
				t.Fatalf("Next returned a record with an error")
			}
			return out, err
		}
		if x.CapLen != len(x.Data) {
			t.Fatalf("frame %d: CapLen %d != len(Data) %d", x.Frame, x.CapLen, len(x.Data))
		}
		out = append(out, copyRec(x))
	}
}

// readBytes opens an in-memory capture and reads it all.
func readBytes(t testing.TB, name string, data []byte) (*Reader, []rec, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), name)
	if err != nil {
		return nil, nil, err
	}
	recs, err := readAll(t, r)
	return r, recs, err
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// decompressed returns the file's bytes with gzip or zstd removed.
func decompressed(t testing.TB, b []byte) []byte {
	t.Helper()
	switch {
	case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return out
	case len(b) >= 4 && binary.LittleEndian.Uint32(b) == 0xfd2fb528:
		d, err := zstd.NewReader(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		out, err := d.DecodeAll(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return b
}

func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *capture.Error", err, err)
	}
	return e
}

// --- a small pcapng writer for synthetic inputs ---------------------------

type ngOpt struct {
	code uint16
	val  []byte
}

func optStr(code uint16, s string) ngOpt { return ngOpt{code, []byte(s)} }

type ngBuilder struct {
	be  bool
	buf bytes.Buffer
}

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func (b *ngBuilder) order() byteOrder {
	if b.be {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

func (b *ngBuilder) opts(opts []ngOpt) []byte {
	if len(opts) == 0 {
		return nil
	}
	var o []byte
	for _, x := range opts {
		o = b.order().AppendUint16(o, x.code)
		o = b.order().AppendUint16(o, uint16(len(x.val)))
		o = append(o, x.val...)
		for len(o)%4 != 0 {
			o = append(o, 0)
		}
	}
	return append(o, 0, 0, 0, 0)
}

// block writes a block with the body padded to 4 bytes.
func (b *ngBuilder) block(typ uint32, body []byte) *ngBuilder {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	var h []byte
	h = b.order().AppendUint32(h, typ)
	h = b.order().AppendUint32(h, n)
	b.buf.Write(h)
	b.buf.Write(body)
	b.buf.Write(b.order().AppendUint32(nil, n))
	return b
}

func (b *ngBuilder) shb(be bool, opts ...ngOpt) *ngBuilder {
	b.be = be
	var body []byte
	body = b.order().AppendUint32(body, 0x1a2b3c4d)
	body = b.order().AppendUint16(body, 1)
	body = b.order().AppendUint16(body, 0)
	body = b.order().AppendUint64(body, ^uint64(0))
	return b.block(0x0a0d0d0a, append(body, b.opts(opts)...))
}

func (b *ngBuilder) idb(linkType uint16, snap uint32, opts ...ngOpt) *ngBuilder {
	var body []byte
	body = b.order().AppendUint16(body, linkType)
	body = b.order().AppendUint16(body, 0)
	body = b.order().AppendUint32(body, snap)
	return b.block(1, append(body, b.opts(opts)...))
}

func (b *ngBuilder) epb(ifid uint32, ts uint64, data []byte, wire uint32, opts ...ngOpt) *ngBuilder {
	var body []byte
	body = b.order().AppendUint32(body, ifid)
	body = b.order().AppendUint32(body, uint32(ts>>32))
	body = b.order().AppendUint32(body, uint32(ts))
	body = b.order().AppendUint32(body, uint32(len(data)))
	body = b.order().AppendUint32(body, wire)
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	return b.block(6, append(body, b.opts(opts)...))
}

func (b *ngBuilder) pb(ifid uint16, ts uint64, data []byte, wire uint32, opts ...ngOpt) *ngBuilder {
	var body []byte
	body = b.order().AppendUint16(body, ifid)
	body = b.order().AppendUint16(body, 0) // drops
	body = b.order().AppendUint32(body, uint32(ts>>32))
	body = b.order().AppendUint32(body, uint32(ts))
	body = b.order().AppendUint32(body, uint32(len(data)))
	body = b.order().AppendUint32(body, wire)
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	return b.block(2, append(body, b.opts(opts)...))
}

func (b *ngBuilder) spb(wire uint32, data []byte) *ngBuilder {
	body := b.order().AppendUint32(nil, wire)
	return b.block(3, append(body, data...))
}

func (b *ngBuilder) bytes() []byte { return bytes.Clone(b.buf.Bytes()) }

// pcapFile builds a classic pcap file.
func pcapFile(order byteOrder, magic uint32, major, minor uint16, linkType uint32, recs ...[]byte) []byte {
	var b []byte
	b = order.AppendUint32(b, magic)
	b = order.AppendUint16(b, major)
	b = order.AppendUint16(b, minor)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 65535)
	b = order.AppendUint32(b, linkType)
	for _, r := range recs {
		b = append(b, r...)
	}
	return b
}

func pcapRec(order byteOrder, sec, frac, incl, orig uint32, data []byte) []byte {
	var b []byte
	b = order.AppendUint32(b, sec)
	b = order.AppendUint32(b, frac)
	b = order.AppendUint32(b, incl)
	b = order.AppendUint32(b, orig)
	return append(b, data...)
}
