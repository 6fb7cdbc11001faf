package files

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/analyzer/http"
	"github.com/pcapframe/pcapframe/internal/textsafe"
)

// Spool receives the bytes of one object as they are seen, for pcapframe extract (the table path keeps none).
type Spool interface {
	Write(b []byte)
}

// Options of an Analyzer.
type Options struct {
	// Open, when not nil, is called at an object's first bytes, with its fuid; the bytes of the object then go
	// to the Spool it returns (nil: none). The row with that fuid is emitted when the object ends. Open, the
	// Spool and the emit function are called from one goroutine at a time, not always the caller's (see
	// digester).
	Open func(fuid string) Spool
}

// Analyzer builds the files table. It implements analyzer.Analyzer. Not safe for concurrent use.
type Analyzer struct {
	emit   func(*Row) error
	opts   Options
	err    error
	expect expectations // FTP and DCC data connections announced on control connections
	dig    digester
}

var _ analyzer.Analyzer = (*Analyzer)(nil)

// New returns an analyzer that calls emit with each row; the *Row is reused after emit returns.
func New(emit func(*Row) error) *Analyzer { return NewWithOptions(emit, Options{}) }

// NewWithOptions is New with options (pcapframe extract's spools).
func NewWithOptions(emit func(*Row) error, opts Options) *Analyzer {
	a := &Analyzer{emit: emit, opts: opts, expect: newExpectations()}
	a.dig.a = a
	return a
}

// Packet implements analyzer.Analyzer: objects are read from reassembled streams only.
func (a *Analyzer) Packet(*analyzer.Packet) error { return nil }

// FlowEnd implements analyzer.Analyzer.
func (a *Analyzer) FlowEnd(*analyzer.Flow) error { return nil }

// Close implements analyzer.Analyzer: the rows of the objects that ended are emitted before it returns.
func (a *Analyzer) Close() error {
	a.dig.flush()
	return a.err
}

// Abort implements analyzer.Aborter: it waits for the block being digested (whose rows may still be emitted
// meanwhile) and drops the rest; nothing is emitted after it returns.
func (a *Analyzer) Abort() {
	a.dig.wait()
	if a.err == nil {
		a.err = errAborted
	}
	a.dig.cur = nil
}

// errAborted stops an aborted analyzer's later emissions.
var errAborted = errors.New("files: aborted")

// Stream implements analyzer.Analyzer: every TCP connection is offered to each reader (HTTP, SMTP, FTP control,
// IRC), which give up when the connection is not theirs; a connection announced on an FTP or IRC control
// connection is read as data.
func (a *Analyzer) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	if f == nil || f.Proto != 6 {
		return nil
	}
	h := &conn{a: a, flow: *f}
	h.flow.UID = strings.Clone(f.UID)
	h.flow.CommunityID = strings.Clone(f.CommunityID)
	if e := a.expect.take(f); e != nil {
		h.data = newDataConn(h, e)
		return h
	}
	if hc := http.Share(f); hc != nil {
		// the http table's reader of this connection: its objects come here, it is fed by the http analyzer
		hc.SetOpen(h.openHTTP)
		h.http, h.sharedHTTP = hc, true
	} else {
		h.http = http.NewConn(&h.flow, http.Limits{}, h.openHTTP, func(*http.Transaction) error { return nil })
	}
	h.smtp = newSMTP(h)
	h.ftp = newFTP(h)
	h.irc = newIRC(h)
	return h
}

// conn is the handler of one TCP connection: the readers that still want its data.
type conn struct {
	a    *Analyzer
	flow analyzer.Flow
	http *http.Conn
	// sharedHTTP: http is the http analyzer's reader of the connection (http.Share), which that analyzer feeds
	// and ends; this handler only watches whether it is done
	sharedHTTP bool
	smtp       *smtpConn
	ftp        *ftpConn
	irc        *ircConn
	data       *dataConn
}

func (c *conn) Data(fromOrig bool, b []byte, frame, time int64) error {
	if c.data != nil {
		c.data.write(fromOrig, b, frame, time)
		return c.a.err
	}
	if c.http != nil {
		if !c.sharedHTTP {
			if err := c.http.Data(fromOrig, b, frame, time); err != nil {
				return err
			}
		}
		if c.http.Done() {
			if !c.sharedHTTP {
				c.http.End()
			}
			c.http = nil
		}
	}
	if c.smtp != nil && !c.smtp.data(fromOrig, b, frame, time) {
		c.smtp = nil
	}
	if c.ftp != nil && !c.ftp.data(fromOrig, b, frame, time) {
		c.ftp = nil
	}
	if c.irc != nil && !c.irc.data(fromOrig, b, frame, time) {
		c.irc = nil
	}
	return c.a.err
}

func (c *conn) Gap(fromOrig bool, n int64, frame, time int64) error {
	if c.data != nil {
		c.data.gap(fromOrig, n, frame, time)
		return c.a.err
	}
	if c.http != nil && !c.sharedHTTP {
		if err := c.http.Gap(fromOrig, n, frame, time); err != nil {
			return err
		}
	}
	if c.smtp != nil {
		c.smtp.gap(fromOrig, n, frame, time)
	}
	// FTP and IRC control lines after a gap are read from the next line end on.
	if c.ftp != nil {
		c.ftp.gap(fromOrig)
	}
	if c.irc != nil {
		c.irc.gap(fromOrig)
	}
	return c.a.err
}

func (c *conn) End() error {
	if c.data != nil {
		c.data.end()
	}
	if c.http != nil {
		if !c.sharedHTTP {
			c.http.End()
		}
		c.http = nil
	}
	if c.smtp != nil {
		c.smtp.end()
		c.smtp = nil
	}
	c.ftp, c.irc = nil, nil
	return c.a.err
}

// Done implements analyzer.StreamDone: no reader wants the connection any more.
func (c *conn) Done() bool {
	return c.data == nil && c.http == nil && c.smtp == nil && c.ftp == nil && c.irc == nil
}

// object is one object being read: its row so far, and its digest (hashes, first bytes, spool), made on the
// digester's goroutines.
type object struct {
	a     *Analyzer
	row   Row
	d     *digest
	notes []string
}

// newObject starts an object of the connection.
func (c *conn) newObject(source string, fromOrig bool, depth, part int, time int64) *object {
	f := &c.flow
	o := &object{a: c.a}
	o.row = Row{TS: time, FUID: http.FUID(f.UID, fromOrig, depth, part), UID: f.UID, CommunityID: f.CommunityID,
		OrigH: f.Orig.Addr(), OrigP: f.Orig.Port(), RespH: f.Resp.Addr(), RespP: f.Resp.Port(), FromOrig: fromOrig,
		Source: source, Depth: int64(depth), Part: int64(part), TotalBytes: -1}
	// HTTP objects are not sniffed here: package http detects their types.
	o.d = c.a.dig.newDigest(o.row.FUID, source != "HTTP")
	return o
}

func (o *object) write(b []byte, frame, time int64) {
	if len(b) == 0 || o.d == nil { // o.d is nil once the object finished
		return
	}
	if o.row.SeenBytes == 0 {
		o.row.TS, o.row.FirstFrame = time, frame
	}
	o.row.LastFrame = frame
	o.row.SeenBytes += int64(len(b))
	o.a.dig.write(o.d, b)
}

func (o *object) note(s string) {
	for _, n := range o.notes {
		if n == s {
			return
		}
	}
	if len(o.notes) < 8 {
		o.notes = append(o.notes, s)
	}
}

// finish completes the row but for what its digest gives (MIME type when sniffed, hashes, entropy), which the
// digester fills before it emits the row.
func (o *object) finish(complete bool) {
	if o.d == nil {
		return // finished already: its row is emitted once
	}
	r := &o.row
	if r.TotalBytes >= 0 && r.SeenBytes != r.TotalBytes {
		complete = false
	}
	r.Complete = complete && r.MissingBytes == 0
	if r.MissingBytes > 0 {
		o.note(strconv.FormatInt(r.MissingBytes, 10) + " bytes missing in the capture")
	}
	if r.TotalBytes >= 0 && r.SeenBytes != r.TotalBytes {
		o.note(strconv.FormatInt(r.SeenBytes, 10) + " bytes seen of " + strconv.FormatInt(r.TotalBytes, 10) + " announced")
	}
	r.Filename = textsafe.Escape(r.Filename)
	r.Note = textsafe.Escape(strings.Join(o.notes, "; "))
	o.a.dig.finish(o.d, r)
	o.d = nil
}

// detect returns the media type of an object's first bytes, without parameters.
func detect(head []byte) string {
	m := mimetype.Detect(head).String()
	if i := strings.IndexByte(m, ';'); i >= 0 {
		m = m[:i]
	}
	return m
}

// entropy is the Shannon entropy of a byte histogram, bits per byte.
func entropy(hist *[256]int64, n int64) float64 {
	if n == 0 {
		return 0
	}
	var h float64
	for _, c := range hist {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	return h
}

// httpObject adapts an object to http.FileSink.
type httpObject struct{ o *object }

// openHTTP starts the object of an HTTP body (or part).
func (c *conn) openHTTP(f *http.File) http.FileSink {
	o := c.newObject("HTTP", f.FromOrig, f.Depth, f.Part, 0)
	return &httpObject{o: o}
}

func (h *httpObject) Write(f *http.File, b []byte) {
	h.o.write(b, f.EndFrame, f.EndTime)
}

func (h *httpObject) Gap(*http.File, int64) {}

func (h *httpObject) Close(f *http.File) {
	o := h.o
	r := &o.row
	if r.SeenBytes == 0 {
		r.TS, r.FirstFrame, r.LastFrame = f.Time, f.Frame, f.EndFrame
	}
	r.Filename, r.DeclaredType, r.MIMEType = f.Filename, f.DeclaredType, f.MIME
	r.TotalBytes, r.MissingBytes = f.TotalBytes, f.MissingBytes
	for _, n := range f.Notes {
		o.note(n)
	}
	o.finish(f.Complete)
}
