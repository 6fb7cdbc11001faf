package http

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/gabriel-vasile/mimetype"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// Caps on what one body becomes.
const (
	// MaxDecodedBytes caps the bytes a body's content coding (gzip, deflate, br) may inflate to: past it the
	// decoded object is cut and noted ("decompression bomb" defence; the body's own bytes are still counted).
	MaxDecodedBytes = 32 << 20
	// MaxParts caps the parts of one multipart/form-data body that become objects; later parts are not split
	// out (noted).
	MaxParts = 1024
	// SniffBytes is how many of an object's first bytes are kept for MIME detection (mimetype's default).
	SniffBytes = 3072
)

// File is one object carried by HTTP: a message body after its content coding is removed, or one part of a
// multipart/form-data body. The fields are final when FileSink.Close is called.
type File struct {
	FUID             string
	UID, CommunityID string
	Orig, Resp       netip.AddrPort
	FromOrig         bool   // sent by the originator (a request body)
	Depth            int    // the transaction's trans_depth
	Part             int    // 0 for a whole body, 1... for the parts of a multipart body
	Filename         string // raw bytes of the Content-Disposition filename parameter; "" when none
	DeclaredType     string // the Content-Type media type, lower case ("" when none)
	Encoding         string // the Content-Encoding applied ("" for identity)
	TotalBytes       int64  // the announced size (Content-Length of an unencoded whole body), -1 when unknown
	SeenBytes        int64  // decoded bytes seen
	MissingBytes     int64  // bytes the capture lacks (gaps), counted on the body's own bytes
	Complete         bool   // the object was seen whole: its message ended as framed, no gap, no cut
	MIME             string // detected from the first bytes by github.com/gabriel-vasile/mimetype; "" when empty
	Frame, Time      int64  // of the packet that delivered the object's first byte
	EndFrame         int64  // of the packet that delivered its last byte
	EndTime          int64
	Notes            []string
	head             []byte
}

// Note adds a note (at most 8 distinct ones are kept).
func (f *File) Note(s string) {
	if len(f.Notes) >= maxNotes {
		return
	}
	for _, n := range f.Notes {
		if n == s {
			return
		}
	}
	f.Notes = append(f.Notes, s)
}

// FileSink receives the bytes of one object (a FileSink of package files hashes them, pcapframe extract writes
// them out). Write's b is valid only during the call.
type FileSink interface {
	Write(f *File, b []byte)
	// Gap reports n bytes of the object that the capture lacks, at this point.
	Gap(f *File, n int64)
	// Close is called once, when the object ends, with its final fields.
	Close(f *File)
}

// FUID returns the deterministic file id of an object: "F" and base62 digits of the first 96 bits of
// SHA-256(uid "/" o|r "/" depth "/" part), where o is the originator's direction. The http table's
// orig_fuids/resp_fuids and the files table's fuid agree without sharing state, and reruns give the same ids.
// Other protocols of the files table use depth for the message or transfer number in the flow and part for the
// MIME part.
func FUID(uid string, fromOrig bool, depth, part int) string {
	d := "r"
	if fromOrig {
		d = "o"
	}
	sum := sha256.Sum256([]byte(uid + "/" + d + "/" + strconv.Itoa(depth) + "/" + strconv.Itoa(part)))
	return "F" + base62(sum[:12])
}

const digits62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62 writes a big-endian number in base 62, 17 digits for 96 bits (zero-padded).
func base62(b []byte) string {
	n := make([]byte, len(b))
	copy(n, b)
	out := make([]byte, 17)
	for i := len(out) - 1; i >= 0; i-- {
		var rem uint32
		for j := range n {
			v := rem<<8 | uint32(n[j])
			n[j] = byte(v / 62)
			rem = v % 62
		}
		out[i] = digits62[rem]
	}
	return string(out)
}

// fileWriter passes an object's bytes to its sink and keeps its first bytes for MIME detection.
type fileWriter struct {
	f    *File
	sink FileSink
	cur  *position
	head *[SniffBytes]byte // holds f.head until close (from headPool)
}

// headPool recycles the buffers that hold objects' first bytes until their MIME type is detected.
var headPool = sync.Pool{New: func() any { return new([SniffBytes]byte) }}

// position is the frame and time of the packet being delivered, shared by the writers of a connection.
type position struct{ frame, time int64 }

func (w *fileWriter) Write(b []byte) (int, error) {
	f := w.f
	if len(b) == 0 {
		return 0, nil
	}
	if f.SeenBytes == 0 {
		f.Frame, f.Time = w.cur.frame, w.cur.time
	}
	f.SeenBytes += int64(len(b))
	f.EndFrame, f.EndTime = w.cur.frame, w.cur.time
	if len(f.head) < SniffBytes {
		if w.head == nil {
			w.head = headPool.Get().(*[SniffBytes]byte)
			f.head = w.head[:0]
		}
		f.head = append(f.head, b[:min(len(b), SniffBytes-len(f.head))]...)
	}
	if w.sink != nil {
		w.sink.Write(f, b)
	}
	return len(b), nil
}

func (w *fileWriter) close(complete bool) {
	f := w.f
	f.Complete = complete && f.MissingBytes == 0
	if len(f.head) > 0 {
		f.MIME = mimetype.Detect(f.head).String()
		if i := strings.IndexByte(f.MIME, ';'); i >= 0 {
			f.MIME = f.MIME[:i] // "text/plain; charset=utf-8": the media type only, as Zeek's mime_type
		}
	}
	f.head = nil
	if w.head != nil {
		headPool.Put(w.head)
		w.head = nil
	}
	if w.sink != nil {
		w.sink.Close(f)
	}
}

// entity turns one message body into objects: content coding removed (a Stage), multipart/form-data split (a
// Stage), each object to a fileWriter.
type entity struct {
	c        *Conn
	m        *Message
	fromOrig bool
	depth    int
	top      io.Writer // where the body's bytes go
	decoder  *Stage
	splitter *Stage
	single   *fileWriter
	parts    []*fileWriter
	notes    []string // notes of the body's decoding, given to every object
	broken   bool     // a gap broke the decoding
	cut      bool     // the decoded size reached MaxDecodedBytes
}

var errCap = errors.New("decoded body over the cap")

// gzipPool recycles gzip readers (each holds a decompressor of about 40 KB) across bodies.
var gzipPool sync.Pool

// bufioPool recycles the 4 KiB readers decoders read a body through.
var bufioPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

func newEntity(c *Conn, m *Message, fromOrig bool, depth int) *entity {
	e := &entity{c: c, m: m, fromOrig: fromOrig, depth: depth}
	base := File{UID: c.flow.UID, CommunityID: c.flow.CommunityID, Orig: c.flow.Orig, Resp: c.flow.Resp,
		FromOrig: fromOrig, Depth: depth, TotalBytes: -1}
	ctype, params := mediaType(m)
	base.DeclaredType = ctype
	enc := contentEncoding(m)
	base.Encoding = enc
	var next io.Writer
	if strings.HasPrefix(ctype, "multipart/form-data") && params["boundary"] != "" {
		boundary := params["boundary"]
		e.splitter = NewStage(func(r io.Reader) { e.split(r, boundary, base) })
		next = e.splitter
	} else {
		f := base
		f.FUID = FUID(c.flow.UID, fromOrig, depth, 0)
		cd, _ := m.Get("Content-Disposition")
		f.Filename = dispositionFilename(cd)
		if enc == "" && !m.Chunked && m.ContentLength >= 0 {
			f.TotalBytes = m.ContentLength
		}
		e.single = &fileWriter{f: &f, sink: c.openFile(&f), cur: &c.pos}
		next = e.single
	}
	switch enc {
	case "":
		e.top = next
	case "gzip", "x-gzip", "deflate", "br":
		e.decoder = NewStage(func(r io.Reader) { e.decode(r, enc, next) })
		e.top = e.decoder
	default:
		e.note("content coding " + strconv.Quote(enc) + " not decoded")
		e.top = next
	}
	return e
}

func (e *entity) note(s string) {
	for _, n := range e.notes {
		if n == s {
			return
		}
	}
	if len(e.notes) < maxNotes {
		e.notes = append(e.notes, s)
	}
}

// mediaType returns the message's Content-Type media type (lower case) and parameters.
func mediaType(m *Message) (string, map[string]string) {
	v, ok := m.Get("Content-Type")
	if !ok {
		return "", nil
	}
	t, params, err := mime.ParseMediaType(v)
	if err != nil {
		if i := strings.IndexByte(v, ';'); i >= 0 {
			v = v[:i]
		}
		return strings.ToLower(strings.TrimSpace(v)), nil
	}
	return t, params
}

// contentEncoding returns the message's single content coding, lower case ("" for none or identity); several
// codings are returned joined, and are not decoded.
func contentEncoding(m *Message) string {
	v, ok := m.Get("Content-Encoding")
	if !ok {
		return ""
	}
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "identity" {
		return ""
	}
	return v
}

// dispositionFilename returns the filename parameter of a Content-Disposition value ("" when none).
func dispositionFilename(v string) string {
	if v == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	return params["filename"]
}

// capWriter stops a decoder at MaxDecodedBytes.
type capWriter struct {
	w io.Writer
	n int64
	e *entity
}

func (c *capWriter) Write(b []byte) (int, error) {
	if c.n+int64(len(b)) > MaxDecodedBytes {
		b = b[:MaxDecodedBytes-c.n]
		c.w.Write(b)
		c.n = MaxDecodedBytes
		return len(b), errCap
	}
	c.n += int64(len(b))
	return c.w.Write(b)
}

// decode runs on the decoder's goroutine: it inflates the body into next, at most MaxDecodedBytes.
func (e *entity) decode(r io.Reader, enc string, next io.Writer) {
	br := bufioPool.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		bufioPool.Put(br)
	}()
	var dr io.Reader
	var err error
	switch enc {
	case "gzip", "x-gzip":
		z, _ := gzipPool.Get().(*gzip.Reader)
		if z == nil {
			z, err = gzip.NewReader(br)
		} else {
			err = z.Reset(br)
		}
		if z != nil {
			defer gzipPool.Put(z)
		}
		if err == nil {
			z.Multistream(true)
			dr = z
		}
	case "deflate":
		// RFC 9110 §8.4.1.2: the zlib format; some servers send raw deflate, which browsers accept too.
		h, _ := br.Peek(2)
		if len(h) == 2 && h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
			dr, err = zlib.NewReader(br)
		} else {
			dr = flate.NewReader(br)
		}
	case "br":
		dr = brotli.NewReader(br)
	}
	if err == nil {
		_, err = io.Copy(&capWriter{w: next, e: e}, dr)
	}
	switch {
	case errors.Is(err, errCap):
		e.cut = true
		e.note("decoded body over " + strconv.Itoa(MaxDecodedBytes>>20) + " MiB: cut")
	case err != nil && !e.broken:
		e.note("content coding " + enc + ": " + err.Error())
	}
	io.Copy(io.Discard, r) // let the body's bytes pass (they are counted by the message)
}

// split runs on the splitter's goroutine: each part of a multipart/form-data body (RFC 7578, RFC 2046 §5.1)
// becomes an object.
func (e *entity) split(r io.Reader, boundary string, base File) {
	mr := multipart.NewReader(r, boundary)
	for i := 1; ; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !e.broken && !e.cut {
				e.note("multipart: " + err.Error())
			}
			break
		}
		if i > MaxParts {
			e.note("more than " + strconv.Itoa(MaxParts) + " parts: the rest were not split out")
			break
		}
		f := base
		f.Part = i
		f.FUID = FUID(e.c.flow.UID, e.fromOrig, e.depth, i)
		_, params, perr := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if perr == nil {
			f.Filename = params["filename"]
		}
		f.DeclaredType, _ = mediaType(&Message{Headers: partHeaders(p)})
		w := &fileWriter{f: &f, sink: e.c.openFile(&f), cur: &e.c.pos}
		if strings.HasPrefix(f.DeclaredType, "multipart/") {
			f.Note("nested multipart body: not split")
		}
		_, err = io.Copy(w, p)
		e.parts = append(e.parts, w)
		if err != nil {
			if !e.broken && !e.cut {
				e.note("multipart: " + err.Error())
			}
			break
		}
	}
	io.Copy(io.Discard, r)
}

func partHeaders(p *multipart.Part) []Header {
	var hs []Header
	for k, vs := range p.Header {
		for _, v := range vs {
			hs = append(hs, Header{Name: k, Value: v})
		}
	}
	return hs
}

// write passes body bytes on.
func (e *entity) write(b []byte) {
	if !e.broken {
		e.top.Write(b)
	}
}

// gap: the capture lacks n body bytes.
func (e *entity) gap(n int64) {
	if e.decoder == nil && e.splitter == nil {
		e.single.f.MissingBytes += n
		if e.single.sink != nil {
			e.single.sink.Gap(e.single.f, n)
		}
		return
	}
	if !e.broken {
		e.broken = true
		e.note("gap in an encoded or multipart body: decoding stopped")
	}
	if e.single != nil {
		e.single.f.MissingBytes += n
	} else if len(e.parts) > 0 {
		e.parts[len(e.parts)-1].f.MissingBytes += n
	}
}

// close ends the body and its objects; it returns them in order.
func (e *entity) close(complete bool) []*File {
	if e.decoder != nil {
		e.decoder.Close()
	}
	if e.splitter != nil {
		e.splitter.Close()
	}
	complete = complete && !e.broken && !e.cut
	var out []*File
	ws := e.parts
	if e.single != nil {
		ws = []*fileWriter{e.single}
	}
	for _, w := range ws {
		for _, n := range e.notes {
			w.f.Note(n)
		}
		w.close(complete)
		out = append(out, w.f)
	}
	return out
}
