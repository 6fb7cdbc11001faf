package http

import (
	"encoding/base64"
	"strconv"
	"strings"
	"sync"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/internal/textsafe"
)

// Analyzer builds the http table. It implements analyzer.Analyzer and analyzer.Service. Not safe for concurrent
// use.
type Analyzer struct {
	emit     func(*Row) error
	row      Row
	services map[string]bool // flows recognised as HTTP, until their FlowEnd
	conns    map[string]*Conn
	offered  *analyzer.Flow // the flow whose Conn is in shared (Share), nil when none
}

// shared holds the Conn of the connection whose Stream an http Analyzer was asked for last, by the
// *analyzer.Flow the driver passed, so that the files analyzer of the same pass, asked next for the same
// connection (package tables' list order), reads its HTTP objects from that Conn (Share) instead of parsing the
// connection and decoding its bodies a second time. A *analyzer.Flow is the driver's for one open connection of
// one pass, so keys of concurrent passes never meet; each Analyzer leaves at most one entry, removed by its next
// Stream, the flow's FlowEnd or Close.
var shared sync.Map // *analyzer.Flow -> *Conn

// Share returns the Conn the http analyzer of the same pass made for connection f in its Stream just before (the
// same f), and takes it off the list; nil when there is none (no http analyzer in the pass, or not asked first).
// The caller gets the connection's objects by SetOpen, before the connection's first bytes, and must not feed,
// end or otherwise drive the Conn: the http analyzer's handler, which the driver calls first for each chunk of
// the connection, does.
func Share(f *analyzer.Flow) *Conn {
	if v, ok := shared.LoadAndDelete(f); ok {
		return v.(*Conn)
	}
	return nil
}

// unoffer takes the Conn the analyzer offered off the list (nobody took it).
func (a *Analyzer) unoffer() {
	if a.offered != nil {
		shared.Delete(a.offered)
		a.offered = nil
	}
}

var (
	_ analyzer.Analyzer   = (*Analyzer)(nil)
	_ analyzer.Service    = (*Analyzer)(nil)
	_ analyzer.StreamDone = (*Conn)(nil)
)

// New returns an analyzer that calls emit with each row; the *Row is reused after emit returns.
func New(emit func(*Row) error) *Analyzer {
	return &Analyzer{emit: emit, services: map[string]bool{}, conns: map[string]*Conn{}}
}

// Packet implements analyzer.Analyzer: HTTP is read from reassembled streams only.
func (a *Analyzer) Packet(*analyzer.Packet) error { return nil }

// Stream implements analyzer.Analyzer: every TCP connection is looked at; it is HTTP when its client's first
// bytes are a request line (or its server's a status line), whatever the port.
func (a *Analyzer) Stream(f *analyzer.Flow) analyzer.StreamHandler {
	if f == nil || f.Proto != 6 {
		return nil
	}
	var c *Conn
	c = NewConn(f, Limits{}, nil, func(t *Transaction) error {
		Fill(&a.row, &c.flow, t)
		return a.emit(&a.row)
	})
	a.conns[c.flow.UID] = c
	a.unoffer()
	shared.Store(f, c)
	a.offered = f
	return c
}

// Service implements analyzer.Service: "http" for a flow in which a request or status line was read.
func (a *Analyzer) Service(uid string) string {
	if c := a.conns[uid]; c != nil && c.IsHTTP() {
		return "http"
	}
	return ""
}

// FlowEnd implements analyzer.Analyzer.
func (a *Analyzer) FlowEnd(f *analyzer.Flow) error {
	delete(a.conns, f.UID)
	if a.offered == f {
		a.unoffer()
	}
	return nil
}

// Close implements analyzer.Analyzer.
func (a *Analyzer) Close() error {
	a.unoffer()
	return nil
}

var emptyTags = []string{}

// Fill sets r from a transaction of the connection whose flow is f.
func Fill(r *Row, f *analyzer.Flow, t *Transaction) {
	*r = Row{UID: f.UID, CommunityID: f.CommunityID, OrigH: f.Orig.Addr(), OrigP: f.Orig.Port(), RespH: f.Resp.Addr(),
		RespP: f.Resp.Port(), TransDepth: int64(t.Depth), Tags: emptyTags, RequestContentLength: -1, ResponseContentLength: -1,
		InfoCode: int64(t.InfoCode), InfoMsg: esc(t.InfoMsg)}
	var notes []string
	if m := t.Request; m != nil {
		r.HasRequest = true
		r.TS, r.RequestFrame = m.Time, m.Frame
		r.Method, r.URI, r.Version = esc(m.Method), esc(m.Target), m.Version
		r.RequestContentLength = m.ContentLength
		r.RequestBodyLen = bodyLen(m, t.ReqFiles)
		r.RequestHeaderNames, r.RequestHeaderValues = headerLists(m.Headers)
		for _, h := range m.Headers {
			switch strings.ToLower(h.Name) {
			case "host":
				r.Host = first(r.Host, h.Value)
			case "referer":
				r.Referrer = first(r.Referrer, h.Value)
			case "user-agent":
				r.UserAgent = first(r.UserAgent, h.Value)
			case "origin":
				r.Origin = first(r.Origin, h.Value)
			case "authorization":
				if r.Username == "" {
					r.Username, r.Password = basicAuth(h.Value)
				}
			case "forwarded", "x-forwarded-for", "x-forwarded-from", "client-ip", "via", "xroxy-connection", "proxy-connection":
				r.Proxied = append(r.Proxied, esc(strings.ToUpper(h.Name)+" -> "+h.Value))
			}
		}
		for _, n := range m.Notes {
			notes = append(notes, "request: "+n)
		}
		if m.Missing > 0 {
			notes = appendNote(notes, "request: "+strconv.FormatInt(m.Missing, 10)+" body bytes missing")
		}
		if !m.Complete {
			notes = appendNote(notes, "request: incomplete")
		}
	}
	if m := t.Response; m != nil {
		r.HasResponse = true
		if !r.HasRequest {
			r.TS = m.Time
		}
		r.ResponseFrame = m.Frame
		r.Version = m.Version
		r.StatusCode, r.StatusMsg = int64(m.Status), esc(m.Reason)
		r.ResponseContentLength = m.ContentLength
		r.ResponseBodyLen = bodyLen(m, t.RespFiles)
		r.ResponseHeaderNames, r.ResponseHeaderValues = headerLists(m.Headers)
		for _, n := range m.Notes {
			notes = append(notes, "response: "+n)
		}
		if m.Missing > 0 {
			notes = appendNote(notes, "response: "+strconv.FormatInt(m.Missing, 10)+" body bytes missing")
		}
		if !m.Complete {
			notes = appendNote(notes, "response: incomplete")
		}
	} else if t.Request != nil {
		if t.Evicted {
			notes = appendNote(notes, "no response (given up: more than 256 requests or 256 KiB of headers waiting)")
		} else {
			notes = appendNote(notes, "no response")
		}
	}
	r.OrigFUIDs, r.OrigFilenames, r.OrigMIMETypes = fileLists(t.ReqFiles)
	r.RespFUIDs, r.RespFilenames, r.RespMIMETypes = fileLists(t.RespFiles)
	for _, fs := range [2][]*File{t.ReqFiles, t.RespFiles} {
		for _, f := range fs {
			for _, n := range f.Notes {
				notes = appendNote(notes, "file "+f.FUID+": "+n)
			}
		}
	}
	r.Note = esc(strings.Join(notes, "; "))
}

func appendNote(notes []string, n string) []string {
	for _, x := range notes {
		if x == n {
			return notes
		}
	}
	return append(notes, n)
}

// bodyLen is the body's decoded size: the objects' sizes, or the body's own bytes when it made no object or its
// decoding failed.
func bodyLen(m *Message, files []*File) int64 {
	if len(files) == 1 && files[0].Part == 0 && (files[0].Encoding == "" || files[0].SeenBytes > 0) {
		return files[0].SeenBytes
	}
	return m.BodyLen
}

func first(cur, v string) string {
	if cur != "" {
		return cur
	}
	return esc(v)
}

func esc(s string) string { return textsafe.Escape(s) }

func headerLists(hs []Header) (names, values []string) {
	if len(hs) == 0 {
		return []string{}, []string{}
	}
	names = make([]string, len(hs))
	values = make([]string, len(hs))
	for i, h := range hs {
		names[i], values[i] = esc(h.Name), esc(h.Value)
	}
	return names, values
}

func fileLists(fs []*File) (fuids, names, types []string) {
	for _, f := range fs {
		fuids = append(fuids, f.FUID)
		if f.Filename != "" {
			names = append(names, esc(f.Filename))
		}
		if f.MIME != "" {
			types = append(types, f.MIME)
		}
	}
	return
}

// basicAuth decodes "Basic base64(user:password)"; other schemes give "".
func basicAuth(v string) (user, password string) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return "", ""
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", ""
	}
	u, p, _ := strings.Cut(string(b), ":")
	return esc(u), esc(p)
}
