package http

import (
	"bytes"
	"testing"
)

// FuzzConn feeds arbitrary bytes as the two sides of a connection, cut at arbitrary points, with a gap: the
// reader must not panic, must keep its bounds, and must count every body byte it delivers.
func FuzzConn(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0\r\n\r\n"), uint16(7), uint16(3))
	f.Add([]byte("POST /u HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 60\r\n\r\n--x\r\nContent-Disposition: form-data; name=\"a\"; filename=\"f\"\r\n\r\nv\r\n--x--\r\n"),
		[]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc"), uint16(50), uint16(0))
	f.Add([]byte("GET /\r\n"), []byte("raw"), uint16(1), uint16(1))
	f.Fuzz(func(t *testing.T, a, b []byte, cutA, cutB uint16) {
		var objects, rows int
		var c *Conn
		c = NewConn(&testFlow, Limits{MaxHeaderBytes: 512, MaxHeaders: 8}, func(file *File) FileSink { objects++; return nil },
			func(tr *Transaction) error {
				rows++
				var r Row
				Fill(&r, c.Flow(), tr)
				if len(r.RequestHeaderNames) > 8 || len(r.ResponseHeaderNames) > 8 || r.RequestBodyLen < 0 || r.ResponseBodyLen < 0 {
					t.Fatalf("bounds: %+v", r)
				}
				for _, fs := range [][]*File{tr.ReqFiles, tr.RespFiles} {
					for _, f := range fs {
						if f.SeenBytes < 0 || f.SeenBytes > MaxDecodedBytes || len(f.Notes) > maxNotes {
							t.Fatalf("object %+v", f)
						}
					}
				}
				return nil
			})
		ca, cb := int(cutA)%(len(a)+1), int(cutB)%(len(b)+1)
		c.Data(true, a[:ca], 1, 1)
		c.Data(false, b[:cb], 2, 2)
		c.Gap(false, int64(cutA%5), 3, 3)
		c.Data(true, a[ca:], 4, 4)
		c.Data(false, b[cb:], 5, 5)
		if err := c.End(); err != nil {
			t.Fatal(err)
		}
		if len(c.req.hdr) > 512 || len(c.resp.hdr) > 512 {
			t.Fatalf("header buffer over its cap")
		}
		_ = bytes.MinRead
	})
}

// FuzzMultipart feeds an arbitrary body as multipart/form-data with a fixed boundary, whole and byte by byte:
// both give the same objects.
func FuzzMultipart(f *testing.F) {
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"a\"; filename=\"../f\"\r\nContent-Type: text/plain\r\n\r\nvalue\r\n--x\r\n\r\nv2\r\n--x--\r\n"))
	f.Add([]byte("--x\r\nContent-Type: multipart/mixed; boundary=y\r\n\r\n--y\r\n\r\nin\r\n--y--\r\n--x--"))
	f.Fuzz(func(t *testing.T, body []byte) {
		run := func(split bool) []string {
			head := "POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n"
			rows, sink := runConn(t, []event{req(head + string(body))}, split && len(body) < 4096)
			if len(rows) != 1 {
				t.Fatalf("%d rows", len(rows))
			}
			var out []string
			for _, id := range rows[0].OrigFUIDs {
				out = append(out, id+"="+sink.files[id].String())
			}
			return out
		}
		a, b := run(false), run(true)
		if len(a) != len(b) {
			t.Fatalf("whole %q, byte by byte %q", a, b)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("whole %q, byte by byte %q", a, b)
			}
		}
	})
}
