package files

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/analyzer"
)

// TestDigester writes many objects at once, interleaved, in writes of 1 byte to several blocks, and checks that
// every row comes in the order the objects finished, with the hashes and entropy of the bytes written (computed
// here with the standard library in one piece) and the MIME type of the sniffed ones.
func TestDigester(t *testing.T) {
	var rows []Row
	a := New(func(r *Row) error { rows = append(rows, *r); return nil })
	c := &conn{a: a, flow: analyzer.Flow{UID: "Cdigest", Proto: 6, Orig: netip.MustParseAddrPort("10.0.0.1:1000"), Resp: netip.MustParseAddrPort("10.0.0.2:21")}}
	rng := rand.New(rand.NewPCG(1, 2))
	type want struct {
		o    *object
		data []byte
	}
	var open []*want
	var finished []*want
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	for i := 0; len(finished) < 400; i++ {
		if len(open) < 8 {
			w := &want{o: c.newObject("FTP_DATA", true, i, 0, int64(i))}
			if i%3 == 0 {
				w.data = append(w.data, png...)
				w.o.write(png, 1, 1)
			}
			open = append(open, w)
		}
		w := open[rng.IntN(len(open))]
		var n int
		switch rng.IntN(10) {
		case 0:
			n = blockBytes + rng.IntN(3*blockBytes) // spans blocks
		case 1, 2:
			n = 0
		default:
			n = rng.IntN(3000)
		}
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(rng.IntN(1 + len(finished)%256))
		}
		w.data = append(w.data, b...)
		w.o.write(b, int64(i), int64(i))
		if rng.IntN(4) == 0 {
			w.o.finish(true)
			finished = append(finished, w)
			open = slices.Delete(open, slices.Index(open, w), slices.Index(open, w)+1)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(finished) {
		t.Fatalf("%d rows, %d objects finished", len(rows), len(finished))
	}
	for i, w := range finished {
		r := rows[i]
		m, s1, s2 := md5.Sum(w.data), sha1.Sum(w.data), sha256.Sum256(w.data)
		var hist [256]int64
		for _, b := range w.data {
			hist[b]++
		}
		if r.FUID != w.o.row.FUID || r.SeenBytes != int64(len(w.data)) || r.MD5 != hex.EncodeToString(m[:]) ||
			r.SHA1 != hex.EncodeToString(s1[:]) || r.SHA256 != hex.EncodeToString(s2[:]) || r.Entropy != entropy(&hist, int64(len(w.data))) {
			t.Fatalf("row %d (%s, %d bytes): %+v", i, w.o.row.FUID, len(w.data), r)
		}
		if png := len(w.data) >= 16 && string(w.data[:4]) == "\x89PNG"; png != (r.MIMEType == "image/png") {
			t.Errorf("row %d: MIME type %q", i, r.MIMEType)
		}
	}
}

// objects writes n objects of size bytes each through one connection of a, and returns the connection.
func objects(a *Analyzer, n, size int) *conn {
	c := &conn{a: a, flow: analyzer.Flow{UID: "Cobjects", Proto: 6}}
	for i := range n {
		o := c.newObject("FTP_DATA", true, i, 0, 0)
		o.write(make([]byte, size), 1, 1)
		o.finish(true)
	}
	return c
}

// TestDigesterEmitError checks that after emit fails no row is emitted, and Close returns the error.
func TestDigesterEmitError(t *testing.T) {
	boom := errors.New("boom")
	n := 0
	a := New(func(r *Row) error {
		n++
		if n == 3 {
			return boom
		}
		return nil
	})
	objects(a, 2000, 1000)
	if err := a.Close(); !errors.Is(err, boom) {
		t.Errorf("Close: %v, want %v", err, boom)
	}
	if n != 3 {
		t.Errorf("emit called %d times, want 3 (none after the error)", n)
	}
}

// TestAbort: after Abort returns, the analyzer emits nothing more, even with blocks of objects handed over and
// objects finished after it.
func TestAbort(t *testing.T) {
	var n atomic.Int64
	a := New(func(r *Row) error {
		time.Sleep(100 * time.Microsecond) // slower than the pass: blocks queue up
		n.Add(1)
		return nil
	})
	c := objects(a, 3000, 300)
	a.Abort()
	after := n.Load()
	if after == 3000 {
		t.Fatal("every row was emitted before Abort: the test does not exercise it")
	}
	o := c.newObject("FTP_DATA", true, 9999, 0, 0)
	o.write([]byte("late"), 2, 2)
	o.finish(true)
	if err := a.Close(); !errors.Is(err, errAborted) {
		t.Errorf("Close after Abort: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := n.Load(); got != after {
		t.Errorf("%d rows emitted after Abort returned", got-after)
	}
}
