package http

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"mime/multipart"
	"net/netip"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/pcapframe/pcapframe/analyzer"
)

// event is one Data (or Gap, when gap > 0) call of a connection.
type event struct {
	orig bool
	data string
	gap  int64
}

func req(s string) event  { return event{orig: true, data: s} }
func resp(s string) event { return event{data: s} }

// memSink keeps the bytes of every object.
type memSink struct {
	files map[string]*bytes.Buffer
	order []*File
}

func (m *memSink) Write(f *File, b []byte) { m.files[f.FUID].Write(b) }
func (m *memSink) Gap(*File, int64)        {}
func (m *memSink) Close(f *File)           { m.order = append(m.order, f) }

var testFlow = analyzer.Flow{UID: "CtestUID", CommunityID: "1:test", Proto: 6,
	Orig: netip.MustParseAddrPort("10.0.0.1:40000"), Resp: netip.MustParseAddrPort("10.0.0.2:80")}

// runConn plays events through a Conn and returns its rows and objects; with split, every Data call is made
// one byte at a time.
func runConn(t testing.TB, events []event, split bool) ([]Row, *memSink) {
	t.Helper()
	var rows []Row
	sink := &memSink{files: map[string]*bytes.Buffer{}}
	var c *Conn
	c = NewConn(&testFlow, Limits{}, func(f *File) FileSink {
		sink.files[f.FUID] = &bytes.Buffer{}
		return sink
	}, func(tr *Transaction) error {
		var r Row
		Fill(&r, c.Flow(), tr)
		rows = append(rows, r)
		return nil
	})
	for i, e := range events {
		frame := int64(i + 1)
		if e.gap > 0 {
			c.Gap(e.orig, e.gap, frame, frame)
			continue
		}
		if split {
			for j := 0; j < len(e.data); j++ {
				c.Data(e.orig, []byte{e.data[j]}, frame, frame)
			}
		} else {
			c.Data(e.orig, []byte(e.data), frame, frame)
		}
	}
	if err := c.End(); err != nil {
		t.Fatal(err)
	}
	return rows, sink
}

// TestChunked checks chunked transfer coding (RFC 9112 §7.1): chunk sizes in hex of either case, chunk
// extensions (§7.1.1) and trailer fields (§7.1.2) ignored, the last chunk of size 0, whole and byte by byte.
// The body is MDN's example, worked out by hand: "Wiki" + "pedia" + " in\r\n\r\nchunks." (0xE = 14 bytes).
func TestChunked(t *testing.T) {
	cases := []struct {
		name, body, want string
		note             string
	}{
		{"plain", "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n", "Wikipedia in\r\n\r\nchunks.", ""},
		{"extensions", "4;name=value\r\nWiki\r\n5 ; x=\"y\"\r\npedia\r\ne\r\n in\r\n\r\nchunks.\r\n0;last\r\n\r\n", "Wikipedia in\r\n\r\nchunks.", ""},
		{"trailer", "4\r\nWiki\r\n0\r\nExpires: Wed, 21 Oct 2015 07:28:00 GMT\r\nX-Sum: 1\r\n\r\n", "Wiki", ""},
		{"bare LF", "4\nWiki\n0\n\n", "Wiki", ""},
		{"bad size", "zz\r\nWiki\r\n0\r\n\r\n", "", "invalid chunk size"},
		{"huge size", "ffffffffffffffffff\r\n", "", "invalid chunk size"},
		{"no CRLF after data", "4\r\nWikiX\r\n0\r\n\r\n", "Wiki", "chunk data not followed by CRLF"},
	}
	for _, tc := range cases {
		for _, split := range []bool{false, true} {
			rows, sink := runConn(t, []event{
				req("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
				resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + tc.body),
			}, split)
			if len(rows) != 1 {
				t.Fatalf("%s: %d rows", tc.name, len(rows))
			}
			r := rows[0]
			got := ""
			if len(r.RespFUIDs) == 1 {
				got = sink.files[r.RespFUIDs[0]].String()
			}
			if got != tc.want || r.ResponseBodyLen != int64(len(tc.want)) {
				t.Errorf("%s (split %v): body %q (%d), want %q", tc.name, split, got, r.ResponseBodyLen, tc.want)
			}
			if tc.note == "" && r.Note != "" || !strings.Contains(r.Note, tc.note) {
				t.Errorf("%s (split %v): note %q, want %q", tc.name, split, r.Note, tc.note)
			}
		}
	}
}

// TestTransactions checks the pairing of requests and responses: pipelining, keep-alive, 100 Continue, HEAD,
// 204 and 304 without bodies, a body delimited by the close, a request without a response.
func TestTransactions(t *testing.T) {
	rows, sink := runConn(t, []event{
		req("GET /a HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\nReferer: http://r/\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n" +
			"HEAD /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n"),
		resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
		resp("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"),
		req("POST /d HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"),
		resp("HTTP/1.1 100 Continue\r\n\r\n"),
		req("abc"),
		resp("HTTP/1.1 204 No Content\r\n\r\n"),
		req("GET /e HTTP/1.0\r\n\r\n"),
		resp("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"),
		req("GET /f HTTP/1.1\r\n\r\n"),
	}, false)
	want := []struct {
		method, uri       string
		status, info      int64
		reqLen, respLen   int64
		respBody, reqBody string
	}{
		{"GET", "/a", 200, 0, 0, 5, "hello", ""},
		{"HEAD", "/b", 200, 0, 0, 0, "", ""},
		{"GET", "/c", 304, 0, 0, 0, "", ""},
		{"POST", "/d", 204, 100, 3, 0, "", "abc"},
		{"GET", "/e", 200, 0, 0, 13, "until the end", ""},
		{"GET", "/f", 0, 0, 0, 0, "", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.TransDepth != int64(i+1) || r.Method != w.method || r.URI != w.uri || r.StatusCode != w.status || r.InfoCode != w.info ||
			r.RequestBodyLen != w.reqLen || r.ResponseBodyLen != w.respLen {
			t.Errorf("row %d: %d %s %s status %d info %d lens %d/%d, want %+v", i, r.TransDepth, r.Method, r.URI, r.StatusCode, r.InfoCode, r.RequestBodyLen, r.ResponseBodyLen, w)
		}
		if w.respBody != "" && (len(r.RespFUIDs) != 1 || sink.files[r.RespFUIDs[0]].String() != w.respBody) {
			t.Errorf("row %d: response objects %v", i, r.RespFUIDs)
		}
		if w.reqBody != "" && (len(r.OrigFUIDs) != 1 || sink.files[r.OrigFUIDs[0]].String() != w.reqBody) {
			t.Errorf("row %d: request objects %v", i, r.OrigFUIDs)
		}
	}
	if r := rows[0]; r.Host != "h" || r.UserAgent != "ua" || r.Referrer != "http://r/" || r.Username != "Aladdin" || r.Password != "open sesame" {
		t.Errorf("row 0 fields: %+v", r) // RFC 7617 §2's example credentials
	}
	if r := rows[0]; len(r.RequestHeaderNames) != 4 || r.RequestHeaderNames[1] != "User-Agent" || r.RequestHeaderValues[1] != "ua" {
		t.Errorf("row 0 headers: %q %q", r.RequestHeaderNames, r.RequestHeaderValues)
	}
	if r := rows[3]; r.InfoMsg != "Continue" {
		t.Errorf("info_msg %q", r.InfoMsg)
	}
	if r := rows[5]; r.HasResponse || !strings.Contains(r.Note, "no response") {
		t.Errorf("last row: %+v", r)
	}
}

// TestResponseWithoutRequest: a capture that lacks the client's side still gives rows.
func TestResponseWithoutRequest(t *testing.T) {
	rows, _ := runConn(t, []event{resp("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}, false)
	if len(rows) != 2 || rows[0].HasRequest || rows[0].StatusCode != 404 || rows[1].StatusCode != 200 || rows[1].TransDepth != 2 {
		t.Fatalf("rows: %+v", rows)
	}
}

// TestNotHTTP: a connection whose client does not speak HTTP is given up (StreamDone) and makes no row.
func TestNotHTTP(t *testing.T) {
	c := NewConn(&testFlow, Limits{}, nil, func(*Transaction) error { t.Fatal("row"); return nil })
	for i := 0; i < 8; i++ {
		c.Data(true, []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all, a TLS hello perhaps ......................"), 1, 1)
	}
	if !c.Done() || c.IsHTTP() {
		t.Fatalf("done %v http %v", c.Done(), c.IsHTTP())
	}
	c.End()
}

// TestContentCoding checks that gzip, deflate (zlib and raw) and br bodies are decoded for their objects, with
// encoders independent of the decoders (the standard library's compress/gzip and compress/zlib, brotli's writer).
func TestContentCoding(t *testing.T) {
	plain := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 500)
	var gz, zl, br bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(plain))
	w.Close()
	z := zlib.NewWriter(&zl)
	z.Write([]byte(plain))
	z.Close()
	b := brotli.NewWriter(&br)
	b.Write([]byte(plain))
	b.Close()
	for _, tc := range []struct{ enc, body string }{{"gzip", gz.String()}, {"deflate", zl.String()}, {"br", br.String()}, {"x-gzip", gz.String()}} {
		for _, chunked := range []bool{false, true} {
			head := "HTTP/1.1 200 OK\r\nContent-Encoding: " + tc.enc + "\r\nContent-Length: " + itoa(len(tc.body)) + "\r\n\r\n"
			body := tc.body
			if chunked {
				head = "HTTP/1.1 200 OK\r\nContent-Encoding: " + tc.enc + "\r\nTransfer-Encoding: chunked\r\n\r\n"
				body = itox(len(tc.body)) + "\r\n" + tc.body + "\r\n0\r\n\r\n"
			}
			rows, sink := runConn(t, []event{req("GET / HTTP/1.1\r\n\r\n"), resp(head + body)}, false)
			r := rows[0]
			if len(r.RespFUIDs) != 1 || sink.files[r.RespFUIDs[0]].String() != plain || r.ResponseBodyLen != int64(len(plain)) || r.Note != "" {
				t.Errorf("%s chunked %v: len %d note %q", tc.enc, chunked, r.ResponseBodyLen, r.Note)
			}
			if len(r.RespMIMETypes) != 1 || r.RespMIMETypes[0] != "text/plain" {
				t.Errorf("%s: mime %v", tc.enc, r.RespMIMETypes)
			}
		}
	}
}

func itoa(n int) string { return fmtInt(n, 10) }
func itox(n int) string { return fmtInt(n, 16) }

func fmtInt(n, base int) string {
	const d = "0123456789abcdef"
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= base {
		b = append([]byte{d[n%base]}, b...)
	}
	return string(b)
}

// TestMultipart checks that each part of a multipart/form-data body (RFC 7578) becomes an object with its
// filename, written by the standard library's multipart.Writer (independent of the reader).
func TestMultipart(t *testing.T) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("field1", "value1")
	fw, _ := mw.CreateFormFile("file", "report.pdf")
	fw.Write([]byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"))
	fw, _ = mw.CreateFormFile("file2", "../../etc/passwd")
	fw.Write([]byte("root:x:0:0::/root:/bin/sh\n"))
	mw.Close()
	rows, sink := runConn(t, []event{
		req("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: " + mw.FormDataContentType() + "\r\nContent-Length: " + itoa(body.Len()) + "\r\n\r\n" + body.String()),
		resp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	}, true)
	r := rows[0]
	if len(r.OrigFUIDs) != 3 {
		t.Fatalf("orig_fuids %v, note %q", r.OrigFUIDs, r.Note)
	}
	if got := sink.files[r.OrigFUIDs[0]].String(); got != "value1" {
		t.Errorf("part 1: %q", got)
	}
	if got := sink.files[r.OrigFUIDs[2]].String(); got != "root:x:0:0::/root:/bin/sh\n" {
		t.Errorf("part 3: %q", got)
	}
	if len(r.OrigFilenames) != 2 || r.OrigFilenames[0] != "report.pdf" || r.OrigFilenames[1] != "../../etc/passwd" {
		t.Errorf("filenames %q", r.OrigFilenames)
	}
	if len(r.OrigMIMETypes) != 3 || r.OrigMIMETypes[1] != "application/pdf" {
		t.Errorf("mime types %q", r.OrigMIMETypes)
	}
	if r.RequestBodyLen != int64(body.Len()) {
		t.Errorf("request_body_len %d, want %d", r.RequestBodyLen, body.Len())
	}
	for i, id := range r.OrigFUIDs {
		if id != FUID(testFlow.UID, true, 1, i+1) {
			t.Errorf("fuid %d: %s", i, id)
		}
	}
}

// TestFUID: fuids are deterministic, distinct by each input, and Zeek-shaped ("F" and 17 base62 digits).
func TestFUID(t *testing.T) {
	seen := map[string]bool{}
	for _, uid := range []string{"C1", "C2"} {
		for _, o := range []bool{true, false} {
			for d := 1; d < 4; d++ {
				for p := 0; p < 3; p++ {
					id := FUID(uid, o, d, p)
					if len(id) != 18 || id[0] != 'F' || seen[id] || id != FUID(uid, o, d, p) {
						t.Fatalf("fuid %q", id)
					}
					seen[id] = true
				}
			}
		}
	}
}

// TestRFC7578Example reads the form of RFC 7578 §4.5 (a field in UTF-8 with a quoted-printable transfer
// encoding, which mime/multipart removes): the part is "Joe owes €100." in UTF-8, its euro sign E2 82 AC.
func TestRFC7578Example(t *testing.T) {
	body := "--AaB03x\r\ncontent-disposition: form-data; name=\"field1\"\r\ncontent-type: text/plain;charset=UTF-8\r\n" +
		"content-transfer-encoding: quoted-printable\r\n\r\nJoe owes =E2=82=AC100.\r\n--AaB03x--\r\n"
	rows, sink := runConn(t, []event{req("POST /f HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=AaB03x\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body)}, false)
	if len(rows) != 1 || len(rows[0].OrigFUIDs) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	if got := sink.files[rows[0].OrigFUIDs[0]].String(); got != "Joe owes \xe2\x82\xac100." {
		t.Errorf("part %q", got)
	}
}

// TestTunnels: after a 2xx answer to CONNECT, or 101 Switching Protocols, the connection is no longer HTTP: what
// follows makes no row and the reader is done.
func TestTunnels(t *testing.T) {
	for _, tc := range []struct{ name, req, resp string }{
		{"CONNECT", "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n\x16\x03\x01\x00\x05hello", "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x02hi"},
		{"websocket", "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"},
	} {
		var rows []Row
		var c *Conn
		c = NewConn(&testFlow, Limits{}, nil, func(tr *Transaction) error {
			var r Row
			Fill(&r, c.Flow(), tr)
			rows = append(rows, r)
			return nil
		})
		c.Data(true, []byte(tc.req), 1, 1)
		c.Data(false, []byte(tc.resp), 2, 2)
		c.Data(true, []byte("GET /not-http-any-more HTTP/1.1\r\n\r\n"), 3, 3)
		if !c.Done() {
			t.Errorf("%s: not done after the tunnel started", tc.name)
		}
		c.End()
		if len(rows) != 1 || rows[0].ResponseBodyLen != 0 || rows[0].Note != "" {
			t.Errorf("%s: rows %+v", tc.name, rows)
		}
	}
}

// TestLargeEncodedBody: a gzip body over StageLazy is decoded on the stage's goroutine, streamed in segments,
// and gives the same object as a short one would (run with -race, this checks the coroutine's hand-overs).
func TestLargeEncodedBody(t *testing.T) {
	plain := make([]byte, 3<<20)
	x := uint32(1)
	for i := range plain { // incompressible bytes (xorshift), so the body stays large
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		plain[i] = byte(x)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(plain)
	w.Close()
	if gz.Len() <= StageLazy {
		t.Fatalf("body of %d bytes does not exceed StageLazy", gz.Len())
	}
	events := []event{req("GET / HTTP/1.1\r\n\r\n"), resp("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + itoa(gz.Len()) + "\r\n\r\n")}
	for b := gz.String(); len(b) > 0; {
		n := min(len(b), 1448)
		events = append(events, resp(b[:n]))
		b = b[n:]
	}
	rows, sink := runConn(t, events, false)
	if len(rows) != 1 || len(rows[0].RespFUIDs) != 1 || !bytes.Equal(sink.files[rows[0].RespFUIDs[0]].Bytes(), plain) || rows[0].Note != "" {
		t.Fatalf("rows %d, note %q", len(rows), rows[0].Note)
	}
}
