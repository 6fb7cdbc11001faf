package http

import (
	"reflect"
	"testing"
)

// TestRecycledBuffers: a header section is parsed in the caller's buffer when it is whole in one Data call, so
// nothing may keep that buffer: with each call's buffer overwritten right after the call (as the reassembler
// recycles its buffers), the rows are those of fresh buffers, and their fields are the ones sent.
func TestRecycledBuffers(t *testing.T) {
	events := []event{
		req("GET /a HTTP/1.1\r\nHost: one.example\r\nUser-Agent: ua/1\r\n\r\nGET /b HTTP/1.1\r\nHost: two.example\r\n\r\n"),
		resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: s\r\n\r\nhello"),
		resp("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
		req("POST /c HTTP/1.1\r\nHost: thr"), // a section over two calls
		req("ee.example\r\nContent-Length: 3\r\n\r\nxyz"),
		resp("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"),
		req("GET /d\r\n"), // HTTP/0.9
	}
	run := func(recycle bool) []Row {
		var rows []Row
		var c *Conn
		c = NewConn(&testFlow, Limits{}, nil, func(tr *Transaction) error {
			var r Row
			Fill(&r, c.Flow(), tr)
			rows = append(rows, r)
			return nil
		})
		buf := make([]byte, 0, 4096)
		for i, e := range events {
			buf = append(buf[:0], e.data...)
			c.Data(e.orig, buf, int64(i+1), int64(i+1))
			if recycle {
				for j := range buf {
					buf[j] = '#'
				}
			} else {
				buf = make([]byte, 0, 4096)
			}
		}
		if err := c.End(); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	fresh, recycled := run(false), run(true)
	if !reflect.DeepEqual(fresh, recycled) {
		t.Errorf("rows differ with recycled buffers:\nfresh    %+v\nrecycled %+v", fresh, recycled)
	}
	want := []struct {
		method, uri, host string
		status            int64
	}{
		{"GET", "/a", "one.example", 200},
		{"GET", "/b", "two.example", 404},
		{"POST", "/c", "three.example", 201},
		{"GET", "/d", "", 0},
	}
	if len(recycled) != len(want) {
		t.Fatalf("%d rows, want %d", len(recycled), len(want))
	}
	for i, w := range want {
		r := recycled[i]
		if r.Method != w.method || r.URI != w.uri || r.Host != w.host || r.StatusCode != w.status {
			t.Errorf("row %d: %s %s host %q status %d, want %s %s host %q status %d", i, r.Method, r.URI, r.Host, r.StatusCode,
				w.method, w.uri, w.host, w.status)
		}
	}
	if h := recycled[0].ResponseHeaderNames; len(h) != 2 || h[0] != "Content-Length" || h[1] != "Server" {
		t.Errorf("first response's header names %q", h)
	}
}
