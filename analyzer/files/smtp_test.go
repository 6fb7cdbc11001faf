package files

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
)

// TestSMTPCapture checks the attachment of zeek__smtp.pcap against a decoding done by hand, outside pcapframe:
// the client's stream from `tshark -q -z follow,tcp,raw,0`, the message between DATA and "\r\n.\r\n" with
// dot-stuffing removed, the part named NEWS.txt cut at its boundary and decoded by Python's quopri
// (quoted-printable): 10,807 bytes, SHA-256 ac04c5d2...6b55. tshark's --export-objects imf is no check here: it
// writes this message with its segments out of order.
func TestSMTPCapture(t *testing.T) {
	rows, _ := runCapture(t, "zeek__smtp.pcap", Options{})
	var news *Row
	var smtp int
	for i := range rows {
		r := &rows[i]
		if r.Source != "SMTP" {
			continue
		}
		smtp++
		if r.Filename == "NEWS.txt" {
			news = r
		}
		if !r.Complete || r.Note != "" {
			t.Errorf("%s: complete %v, note %q", r.FUID, r.Complete, r.Note)
		}
	}
	if news == nil {
		t.Fatalf("no NEWS.txt among %d SMTP objects", smtp)
	}
	if news.SeenBytes != 10807 || news.SHA256 != "ac04c5d2cd8fa9a2670c959806f5181a56b3e9bb1cc7da150af98ba074c86b55" || news.Part != 3 || !news.FromOrig {
		t.Errorf("NEWS.txt: %d bytes, sha256 %s, part %d", news.SeenBytes, news.SHA256, news.Part)
	}
	// The first message: text/plain and text/html alternatives and the attachment; the second, a plain body.
	if smtp != 4 {
		t.Errorf("%d SMTP objects, want 4", smtp)
	}
}

// smtpRun plays a client's and a server's lines through the files analyzer's connection handler.
func smtpRun(t *testing.T, events []event) []Row {
	t.Helper()
	var rows []Row
	a := New(func(r *Row) error { rows = append(rows, *r); return nil })
	f := analyzer.Flow{UID: "Csmtp", Proto: 6, Orig: netip.MustParseAddrPort("10.0.0.1:1025"), Resp: netip.MustParseAddrPort("10.0.0.2:25")}
	h := a.Stream(&f)
	for i, e := range events {
		if e.gap > 0 {
			h.Gap(e.orig, e.gap, int64(i+1), int64(i+1))
		} else {
			h.Data(e.orig, []byte(e.data), int64(i+1), int64(i+1))
		}
	}
	h.End()
	a.FlowEnd(&f)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	return rows
}

type event struct {
	orig bool
	data string
	gap  int64
}

// TestSMTPMIME: a base64 attachment (RFC 2045 §6.8, encoded by the standard library), a quoted-printable body
// (RFC 2045 §6.7: "=3D" is "=", a soft line break "=\r\n" joins lines), dot-stuffing (RFC 5321 §4.5.2), an RFC
// 2047 encoded file name, two messages on one connection (a body keeps its last CRLF, which precedes "."; a
// part does not keep the CRLF that precedes its boundary, RFC 2046 §5.1.1).
func TestSMTPMIME(t *testing.T) {
	payload := bytes.Repeat([]byte{0, 1, 2, 0xff, 'P', 'K'}, 300)
	b64 := base64.StdEncoding.EncodeToString(payload)
	var wrapped strings.Builder
	for len(b64) > 76 {
		wrapped.WriteString(b64[:76] + "\r\n")
		b64 = b64[76:]
	}
	wrapped.WriteString(b64 + "\r\n")
	msg := "From: a@b\r\nTo: c@d\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n" +
		"--XX\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db soft=\r\nbreak\r\n..leading dot\r\n" +
		"--XX\r\nContent-Type: application/octet-stream; name=\"=?UTF-8?B?w6l0w6kuYmlu?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + wrapped.String() +
		"--XX--\r\n"
	rows := smtpRun(t, []event{
		{data: "220 mail ESMTP\r\n"},
		{orig: true, data: "EHLO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"},
		{data: "354 go\r\n"},
		{orig: true, data: msg + ".\r\n"},
		{orig: true, data: "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: 2\r\n\r\nsecond body\r\n.\r\nQUIT\r\n"},
	})
	if len(rows) != 3 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	sum := sha256.Sum256(payload)
	if r := rows[0]; r.SeenBytes != int64(len("a=b softbreak\r\n.leading dot")) || r.Part != 1 || r.Depth != 1 {
		t.Errorf("quoted-printable part: %d bytes, part %d", r.SeenBytes, r.Part)
	}
	if r := rows[1]; r.SHA256 != hex.EncodeToString(sum[:]) || r.Filename != "été.bin" || r.Part != 2 || !r.Complete {
		t.Errorf("base64 part: %+v", r)
	}
	if r := rows[2]; r.Depth != 2 || r.Part != 0 || r.SeenBytes != int64(len("second body\r\n")) {
		t.Errorf("second message: %+v", r)
	}
}

// TestSMTPHostile: absurd nesting stops at the depth cap, a connection that ends inside DATA gives an
// incomplete object, a connection that is not SMTP gives nothing.
func TestSMTPHostile(t *testing.T) {
	var nest strings.Builder
	nest.WriteString("Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 0; i < 1000; i++ {
		nest.WriteString("--b" + itoa(i) + "\r\nContent-Type: multipart/mixed; boundary=b" + itoa(i+1) + "\r\n\r\n")
	}
	rows := smtpRun(t, []event{{data: "220 x\r\n"}, {orig: true, data: "HELO x\r\nDATA\r\n" + nest.String() + "\r\n.\r\n"}})
	if len(rows) != 1 || !strings.Contains(rows[0].Note, "nesting") {
		t.Errorf("nesting: %+v", rows)
	}
	rows = smtpRun(t, []event{{data: "220 x\r\n"}, {orig: true, data: "HELO x\r\nDATA\r\nSubject: cut\r\n\r\npartial bo"}})
	if len(rows) != 1 || rows[0].Complete || !strings.Contains(rows[0].Note, "ended inside") {
		t.Errorf("cut: %+v", rows)
	}
	rows = smtpRun(t, []event{{data: "220 x\r\n"}, {orig: true, data: "HELO x\r\nDATA\r\nSubject: gap\r\n\r\nab"}, {orig: true, gap: 10}, {orig: true, data: "cd\r\n.\r\n"}})
	if len(rows) != 1 || rows[0].Complete || !strings.Contains(rows[0].Note, "missing") {
		t.Errorf("gap: %+v", rows)
	}
	rows = smtpRun(t, []event{{data: "SSH-2.0-x\r\n"}, {orig: true, data: "SSH-2.0-y\r\nDATA\r\nSubject: no\r\n\r\nx\r\n.\r\n"}})
	if len(rows) != 0 {
		t.Errorf("not SMTP: %+v", rows)
	}
	huge := "Subject: " + strings.Repeat("h", 300<<10) + "\r\n\r\nbody\r\n"
	rows = smtpRun(t, []event{{data: "220 x\r\n"}, {orig: true, data: "HELO x\r\nDATA\r\n" + huge + ".\r\n"}})
	if len(rows) != 0 {
		t.Errorf("huge header: %+v", rows)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestRFC2046Example reads the multipart example of RFC 2046 §5.1.1 (lines joined by CRLF): two parts, the
// first without a line break at its end (the CRLF before a boundary belongs to the boundary), the second with
// one; preamble and epilogue ignored.
func TestRFC2046Example(t *testing.T) {
	msg := strings.Join([]string{
		"From: Nathaniel Borenstein <nsb@bellcore.com>",
		"To: Ned Freed <ned@innosoft.com>",
		"Date: Sun, 21 Mar 1993 23:56:48 -0800 (PST)",
		"Subject: Sample message",
		"MIME-Version: 1.0",
		"Content-type: multipart/mixed; boundary=\"simple boundary\"",
		"",
		"This is the preamble.  It is to be ignored, though it",
		"is a handy place for composition agents to include an",
		"explanatory note to non-MIME conformant readers.",
		"",
		"--simple boundary",
		"",
		"This is implicitly typed plain US-ASCII text.",
		"It does NOT end with a linebreak.",
		"--simple boundary",
		"Content-type: text/plain; charset=us-ascii",
		"",
		"This is explicitly typed plain US-ASCII text.",
		"It DOES end with a linebreak.",
		"",
		"--simple boundary--",
		"",
		"This is the epilogue.  It is also to be ignored.",
		""}, "\r\n")
	rows := smtpRun(t, []event{{data: "220 x\r\n"}, {orig: true, data: "HELO x\r\nDATA\r\n" + msg + ".\r\n"}})
	want := []string{"This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.",
		"This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n"}
	if len(rows) != len(want) {
		t.Fatalf("%d parts, want 2", len(rows))
	}
	for i, w := range want {
		sum := sha256.Sum256([]byte(w))
		if rows[i].SHA256 != hex.EncodeToString(sum[:]) || rows[i].SeenBytes != int64(len(w)) || rows[i].Part != int64(i+1) {
			t.Errorf("part %d: %d bytes, want %d (%q)", i+1, rows[i].SeenBytes, len(w), w)
		}
	}
}
