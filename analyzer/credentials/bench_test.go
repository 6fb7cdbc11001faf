package credentials

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
)

// BenchmarkHTTP reads an HTTP connection of 100 requests, one with Basic credentials, and their responses with
// bodies: the common case of the table, where almost nothing is a credential.
func BenchmarkHTTP(b *testing.B) {
	body := strings.Repeat("x", 1000)
	var cl, sv strings.Builder
	for i := range 100 {
		cl.WriteString("GET /page HTTP/1.1\r\nHost: example.org\r\nUser-Agent: bench\r\nAccept: */*\r\n")
		if i == 50 {
			cl.WriteString("Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n")
		}
		cl.WriteString("\r\n")
		sv.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n" + body)
	}
	cb, sb := []byte(cl.String()), []byte(sv.String())
	a := New(func(*Row) error { return nil })
	f := analyzer.Flow{UID: "C", Proto: 6, Orig: netip.MustParseAddrPort("10.0.0.1:4000"), Resp: netip.MustParseAddrPort("10.0.0.2:80")}
	b.SetBytes(int64(len(cb) + len(sb)))
	b.ReportAllocs()
	for b.Loop() {
		h := a.Stream(&f)
		for i := 0; i < len(cb); i += 1400 {
			_ = h.Data(true, cb[i:min(i+1400, len(cb))], 1, 1)
		}
		for i := 0; i < len(sb); i += 1400 {
			_ = h.Data(false, sb[i:min(i+1400, len(sb))], 2, 2)
		}
		_ = h.End()
		_ = a.FlowEnd(&f)
	}
}
