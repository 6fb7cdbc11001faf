package files

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"

	"github.com/pcapframe/pcapframe/analyzer/http"
)

// The digests of objects (MD5, SHA-1, SHA-256, the byte histogram of the entropy), the MIME detection of objects
// whose protocol does not detect it, the spools of pcapframe extract and the emission of the finished rows run
// beside the pass, on a goroutine per block of work: the analyzer's goroutine copies the objects' bytes into a
// block (the bytes it is given are valid only during the call) with the operations on them, and hands the block
// over when it is full, after the previous block was done (two blocks, one filled while the other is digested).
// Operations run in the order they were made, so rows are emitted in the order the objects finished, as if all
// ran on the analyzer's goroutine; the spool and emit functions are called from one goroutine at a time.
const (
	blockBytes = 256 << 10 // bytes copied per block
	blockOps   = 1024      // operations per block (writes and finishes)
)

// digest is what the digester keeps of one object.
type digest struct {
	fuid     string
	md5      hash.Hash
	sha1     hash.Hash
	sha      hash.Hash
	hist     [256]int64
	head     []byte // the first bytes, for MIME detection (sniff)
	sniff    bool   // keep head: the protocol does not detect the object's type (HTTP does)
	spool    Spool
	spooling bool // the spool was asked for
}

// op is one operation of a block: n bytes of the block written to d, then, for a finish, the row (of block.rows)
// completed and emitted.
type op struct {
	d   *digest
	n   int
	row int // index in block.rows + 1; 0: a write
}

// block is one unit of work handed to a digesting goroutine.
type block struct {
	buf   []byte
	ops   []op
	rows  []Row
	freed []*digest // digests finished, for reuse by the analyzer's goroutine
	err   error     // the first error of emit
}

// digester is the analyzer's side of the digesting goroutines.
type digester struct {
	a    *Analyzer
	cur  *block
	done chan *block // the block in flight, sent back when it is done; nil when none is
	free []*block
	pool []*digest
}

// newDigest starts the digest of an object.
func (g *digester) newDigest(fuid string, sniff bool) *digest {
	var d *digest
	if n := len(g.pool); n > 0 {
		d = g.pool[n-1]
		g.pool = g.pool[:n-1]
	} else {
		d = &digest{md5: md5.New(), sha1: sha1.New(), sha: sha256.New()}
	}
	d.fuid, d.sniff = fuid, sniff
	return d
}

func (g *digester) block() *block {
	if g.cur == nil {
		if n := len(g.free); n > 0 {
			g.cur = g.free[n-1]
			g.free = g.free[:n-1]
		} else {
			g.cur = &block{buf: make([]byte, 0, blockBytes), ops: make([]op, 0, blockOps)}
		}
	}
	return g.cur
}

// write copies b for d.
func (g *digester) write(d *digest, b []byte) {
	for len(b) > 0 {
		k := g.block()
		n := min(len(b), cap(k.buf)-len(k.buf))
		k.buf = append(k.buf, b[:n]...)
		k.ops = append(k.ops, op{d: d, n: n})
		b = b[n:]
		if len(k.buf) == cap(k.buf) || len(k.ops) == cap(k.ops) {
			g.dispatch()
		}
	}
}

// finish has d's row completed (MIME type when sniffed, hashes, entropy) and emitted after d's bytes.
func (g *digester) finish(d *digest, r *Row) {
	k := g.block()
	k.rows = append(k.rows, *r)
	k.ops = append(k.ops, op{d: d, row: len(k.rows)})
	if len(k.ops) == cap(k.ops) {
		g.dispatch()
	}
}

// dispatch hands the current block to a goroutine, after the one in flight is done.
func (g *digester) dispatch() {
	g.wait()
	k := g.cur
	g.cur = nil
	if k == nil || len(k.ops) == 0 {
		if k != nil {
			g.free = append(g.free, k)
		}
		return
	}
	g.done = make(chan *block, 1)
	go func(done chan<- *block) {
		k.run(g.a)
		done <- k
	}(g.done)
}

// wait waits for the block in flight, takes back its digests and notes its error (Analyzer.err).
func (g *digester) wait() {
	if g.done == nil {
		return
	}
	k := <-g.done
	g.done = nil
	if g.a.err == nil {
		g.a.err = k.err
	}
	g.pool = append(g.pool, k.freed...)
	clear(k.freed)
	clear(k.rows)
	clear(k.ops)
	k.buf, k.ops, k.rows, k.freed, k.err = k.buf[:0], k.ops[:0], k.rows[:0], k.freed[:0], nil
	g.free = append(g.free, k)
}

// flush digests everything handed over so far and waits for it: Close, or a test that reads rows.
func (g *digester) flush() {
	g.dispatch()
	g.wait()
}

// run does the block's operations, in order; after an error of emit (this block's or, in a.err, set before
// the block was handed over, an earlier one's) it only digests (the rows are dropped).
func (k *block) run(a *Analyzer) {
	k.err = a.err
	off := 0
	for _, o := range k.ops {
		d := o.d
		if o.row == 0 {
			b := k.buf[off : off+o.n]
			off += o.n
			d.write(b, a.opts.Open)
			continue
		}
		r := &k.rows[o.row-1]
		d.complete(r)
		if k.err == nil {
			k.err = a.emit(r)
		}
		d.reset()
		k.freed = append(k.freed, d)
	}
}

// write digests b, and spools it for pcapframe extract (the spool opened at the object's first bytes).
func (d *digest) write(b []byte, open func(fuid string) Spool) {
	d.md5.Write(b)
	d.sha1.Write(b)
	d.sha.Write(b)
	for _, c := range b {
		d.hist[c]++
	}
	if d.sniff && len(d.head) < http.SniffBytes {
		if d.head == nil {
			d.head = make([]byte, 0, http.SniffBytes)
		}
		d.head = append(d.head, b[:min(len(b), http.SniffBytes-len(d.head))]...)
	}
	if !d.spooling && open != nil {
		d.spooling = true
		d.spool = open(d.fuid)
	}
	if d.spool != nil {
		d.spool.Write(b)
	}
}

// complete fills the row's MIME type (when sniffed and not known), hashes and entropy.
func (d *digest) complete(r *Row) {
	if r.MIMEType == "" && len(d.head) > 0 {
		r.MIMEType = detect(d.head)
	}
	var sum [sha256.Size]byte
	r.MD5 = hex.EncodeToString(d.md5.Sum(sum[:0]))
	r.SHA1 = hex.EncodeToString(d.sha1.Sum(sum[:0]))
	r.SHA256 = hex.EncodeToString(d.sha.Sum(sum[:0]))
	r.Entropy = entropy(&d.hist, r.SeenBytes)
}

// reset makes d ready for another object.
func (d *digest) reset() {
	d.md5.Reset()
	d.sha1.Reset()
	d.sha.Reset()
	d.hist = [256]int64{}
	d.head = d.head[:0]
	d.fuid, d.sniff, d.spool, d.spooling = "", false, nil, false
}
