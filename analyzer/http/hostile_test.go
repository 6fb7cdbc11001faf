package http

import (
	"bytes"
	"compress/gzip"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestHostile feeds what captures may hold against a parser: the rows must come, with notes, in bounded
// memory and time, without a panic.
func TestHostile(t *testing.T) {
	big := strings.Repeat("A", 4<<20)
	many := strings.Repeat("X-A: b\r\n", 100000)
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ { // 64 MiB of zeros, about 64 KiB compressed: twice the cap
		zw.Write(zeros)
	}
	zw.Close()
	var nested strings.Builder
	nested.WriteString("--b0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n")
	for i := 1; i < 2000; i++ {
		nested.WriteString("--b" + itoa(i) + "\r\nContent-Type: multipart/mixed; boundary=b" + itoa(i+1) + "\r\n\r\n")
	}
	nested.WriteString("--b0--\r\n")
	var parts strings.Builder
	for i := 0; i < 3000; i++ {
		parts.WriteString("--x\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n")
	}
	parts.WriteString("--x--\r\n")

	cases := []struct {
		name   string
		events []event
		check  func(t *testing.T, rows []Row)
	}{
		{"megabytes of header", []event{req("GET / HTTP/1.1\r\nX-Big: " + big + "\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\n\r\n")},
			func(t *testing.T, rows []Row) {
				if len(rows) != 2 || !strings.Contains(rows[0].Note, "header section over") || rows[1].URI != "/next" {
					t.Errorf("rows %d, note %q", len(rows), rows[0].Note)
				}
			}},
		{"100,000 header fields", []event{req("GET / HTTP/1.1\r\n" + many[:60000] + "\r\n")},
			func(t *testing.T, rows []Row) {
				if len(rows) != 1 || len(rows[0].RequestHeaderNames) != DefaultMaxHeaders || !strings.Contains(rows[0].Note, "header fields") {
					t.Errorf("rows %d, %d headers, note %q", len(rows), len(rows[0].RequestHeaderNames), rows[0].Note)
				}
			}},
		{"body shorter than its Content-Length", []event{req("GET / HTTP/1.1\r\n\r\n"), resp("HTTP/1.1 200 OK\r\nContent-Length: 999999999999999\r\n\r\nshort")},
			func(t *testing.T, rows []Row) {
				if len(rows) != 1 || rows[0].ResponseBodyLen != 5 || !strings.Contains(rows[0].Note, "incomplete") {
					t.Errorf("rows %+v", rows)
				}
			}},
		{"body longer than its Content-Length", []event{req("GET / HTTP/1.1\r\n\r\n"), resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nlonger than said")},
			func(t *testing.T, rows []Row) {
				if len(rows) != 1 || rows[0].ResponseBodyLen != 2 {
					t.Errorf("rows %+v", rows)
				}
			}},
		{"conflicting Content-Length", []event{req("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")},
			func(t *testing.T, rows []Row) {
				if len(rows) == 0 || !strings.Contains(rows[0].Note, "invalid Content-Length") {
					t.Errorf("rows %+v", rows)
				}
			}},
		{"decompression bomb", []event{req("GET / HTTP/1.1\r\n\r\n"), resp("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + itoa(bomb.Len()) + "\r\n\r\n" + bomb.String())},
			func(t *testing.T, rows []Row) {
				if len(rows) != 1 || rows[0].ResponseBodyLen != MaxDecodedBytes || !strings.Contains(rows[0].Note, "cut") {
					t.Errorf("body %d, note %q", rows[0].ResponseBodyLen, rows[0].Note)
				}
			}},
		{"bad gzip", []event{req("GET / HTTP/1.1\r\n\r\n"), resp("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot gzip!!")},
			func(t *testing.T, rows []Row) {
				if len(rows) != 1 || !strings.Contains(rows[0].Note, "content coding gzip") || rows[0].ResponseBodyLen != 10 {
					t.Errorf("rows %+v", rows)
				}
			}},
		{"absurd multipart nesting", []event{req("POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=b0\r\nContent-Length: " + itoa(nested.Len()) + "\r\n\r\n" + nested.String())},
			func(t *testing.T, rows []Row) {
				if len(rows) != 1 || len(rows[0].OrigFUIDs) != 1 || !strings.Contains(rows[0].Note, "nested multipart") {
					t.Errorf("%d objects, note %q", len(rows[0].OrigFUIDs), rows[0].Note)
				}
			}},
		{"3,000 parts", []event{req("POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: " + itoa(parts.Len()) + "\r\n\r\n" + parts.String())},
			func(t *testing.T, rows []Row) {
				if len(rows) != 1 || len(rows[0].OrigFUIDs) != MaxParts || !strings.Contains(rows[0].Note, "parts") {
					t.Errorf("%d objects, note %q", len(rows[0].OrigFUIDs), rows[0].Note)
				}
			}},
		{"gap in the header", []event{req("GET / HTTP/1.1\r\nHo"), {orig: true, gap: 100}, req("GET /after HTTP/1.1\r\n\r\n")},
			func(t *testing.T, rows []Row) {
				if len(rows) != 2 || rows[1].URI != "/after" || !strings.Contains(rows[0].Note, "gap") {
					t.Errorf("rows %+v", rows)
				}
			}},
		{"gap in a body", []event{req("GET / HTTP/1.1\r\n\r\n"), resp("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"), {gap: 5}, resp("cde")},
			func(t *testing.T, rows []Row) {
				if len(rows) != 1 || !strings.Contains(rows[0].Note, "5 body bytes missing") {
					t.Errorf("rows %+v", rows)
				}
			}},
		{"NUL and escapes in the request line", []event{req("GET /\x00\x1b[31m\xff HTTP/1.1\r\nHost: \x07bell\r\n\r\n")},
			func(t *testing.T, rows []Row) {
				if len(rows) != 1 || rows[0].URI != `/\x00\x1b[31m\xff` || rows[0].Host != `\x07bell` {
					t.Errorf("rows %+v", rows)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, split := range []bool{false, true} {
				if split && len(tc.events[0].data)+len(tc.events[len(tc.events)-1].data) > 1<<20 {
					continue // byte by byte over megabytes is slow, and says nothing more
				}
				rows, _ := runConn(t, tc.events, split)
				tc.check(t, rows)
			}
		})
	}
}

// TestEndlessChunked: a chunked body that never ends (200 MB of chunks) keeps memory flat and is counted.
func TestEndlessChunked(t *testing.T) {
	n := 0
	var c *Conn
	c = NewConn(&testFlow, Limits{}, nil, func(tr *Transaction) error { n++; return nil })
	c.Data(true, []byte("GET / HTTP/1.1\r\n\r\n"), 1, 1)
	c.Data(false, []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), 2, 2)
	chunk := []byte("10000\r\n" + strings.Repeat("z", 0x10000) + "\r\n")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := 0; i < 3200; i++ {
		c.Data(false, chunk, int64(i+3), int64(i+3))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapInuse) - int64(before.HeapInuse); grow > 8<<20 {
		t.Errorf("heap grew by %d bytes over 200 MiB of chunks", grow)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("200 MiB of chunks took %v", d)
	}
	if m := c.resp.m; m == nil || m.BodyLen != 3200*0x10000 {
		t.Fatalf("body not counted")
	}
	c.End()
	if n != 1 {
		t.Fatalf("%d rows", n)
	}
}

// TestPendingBounded: a client that pipelines thousands of requests with large headers and no answer makes the
// connection give up the oldest (rows with a note) instead of holding them all.
func TestPendingBounded(t *testing.T) {
	var c *Conn
	rows := 0
	evicted := 0
	c = NewConn(&testFlow, Limits{}, nil, func(tr *Transaction) error {
		rows++
		if tr.Evicted {
			evicted++
		}
		return nil
	})
	req := []byte("GET / HTTP/1.1\r\nX-Pad: " + strings.Repeat("p", 30000) + "\r\n\r\n")
	for i := 0; i < 2000; i++ {
		c.Data(true, req, int64(i+1), int64(i+1))
		if c.held > MaxPendingBytes+len(req) || len(c.pending) > MaxPending+1 {
			t.Fatalf("after %d requests: %d bytes and %d transactions held", i+1, c.held, len(c.pending))
		}
	}
	c.End()
	if rows != 2000 || evicted == 0 {
		t.Fatalf("%d rows, %d given up early", rows, evicted)
	}
}
