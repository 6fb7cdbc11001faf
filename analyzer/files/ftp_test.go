package files

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/internal/tsharktest"
)

// TestFTPParsers checks the address parsers on the forms of RFC 959 §4.1.2 and §4.2 (PORT, 227) and RFC 2428
// §2-3 (EPRT, 229), with the RFCs' own examples, and what they must refuse.
func TestFTPParsers(t *testing.T) {
	ap := netip.MustParseAddrPort
	pasv := []struct {
		in   string
		want netip.AddrPort
		ok   bool
	}{
		{"227 Entering Passive Mode (199,233,217,249,221,90)", ap("199.233.217.249:56666"), true}, // 221*256+90
		{"227 Entering Passive Mode 10,0,0,1,4,1", ap("10.0.0.1:1025"), true},                     // no parentheses
		{"227 =10,0,0,1,0,21", ap("10.0.0.1:21"), true},
		{"227 Entering Passive Mode (256,0,0,1,4,1)", netip.AddrPort{}, false},
		{"227 Entering Passive Mode (10,0,0,1,4)", netip.AddrPort{}, false},
		{"227 Entering Passive Mode (10,0,0,1,0,0)", netip.AddrPort{}, false}, // port 0
		{"227 ", netip.AddrPort{}, false},
	}
	for _, c := range pasv {
		got, ok := ParsePASV(c.in)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("ParsePASV(%q) = %v %v, want %v %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if got, ok := ParsePORT("141,142,220,235,131,46"); !ok || got != ap("141.142.220.235:33582") {
		t.Errorf("PORT: %v %v", got, ok)
	}
	eprt := []struct {
		in   string
		want netip.AddrPort
		ok   bool
	}{
		{"|1|132.235.1.2|6275|", ap("132.235.1.2:6275"), true},                       // RFC 2428 §2
		{"|2|1080::8:800:200C:417A|5282|", ap("[1080::8:800:200c:417a]:5282"), true}, // RFC 2428 §2
		{"!1!10.0.0.1!21!", ap("10.0.0.1:21"), true},
		{"|1|::1|21|", netip.AddrPort{}, false}, // family 1 with an IPv6 address
		{"|3|10.0.0.1|21|", netip.AddrPort{}, false},
		{"|1|10.0.0.1|70000|", netip.AddrPort{}, false},
		{"|1|10.0.0.1|21", netip.AddrPort{}, false},
	}
	for _, c := range eprt {
		got, ok := ParseEPRT(c.in)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("ParseEPRT(%q) = %v %v, want %v %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for in, want := range map[string]uint16{
		"229 Entering Extended Passive Mode (|||6446|)": 6446, // RFC 2428 §3
		"229 Entering Extended Passive Mode (!!!21!)":   21,
		"229 Entering Extended Passive Mode (|||0|)":    0,
		"229 Entering Extended Passive Mode (|1|2|3|)":  0,
		"229 (": 0,
	} {
		got, ok := ParseEPSV(in)
		if got != want || ok != (want != 0) {
			t.Errorf("ParseEPSV(%q) = %d %v", in, got, ok)
		}
	}
	if replySize("150 Opening BINARY mode data connection for 'robots.txt' (77 bytes).") != 77 || replySize("150 ok") != -1 {
		t.Error("replySize")
	}
}

// TestFTPCapture checks the FTP data connections of zeek__ftp_ipv4.pcap (two passive, two active: PASV and
// PORT; a LIST and a RETR each): the files tshark's --export-objects ftp-data writes (the named transfers),
// and the listings against tshark's Follow TCP Stream of their data connections.
func TestFTPCapture(t *testing.T) {
	const name = "zeek__ftp_ipv4.pcap"
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatalf("tshark is missing (apt-get install -y tshark): %v", err)
	}
	rows, d := runCapture(t, name, Options{})
	var ftp []Row
	for _, r := range rows {
		if r.Source == "FTP_DATA" {
			ftp = append(ftp, r)
		}
	}
	if len(ftp) != 4 {
		t.Fatalf("%d FTP_DATA objects, want 4", len(ftp))
	}
	dir := t.TempDir()
	if out, err := exec.Command("tshark", "-r", filepath.Join(pcapDir(t), name), "-q", "--export-objects", "ftp-data,"+dir).CombinedOutput(); err != nil {
		t.Fatalf("tshark: %v: %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "robots.txt"))
	if err != nil {
		t.Fatalf("tshark exported no robots.txt: %v", err)
	}
	sum := sha256.Sum256(b)
	named := 0
	for _, r := range ftp {
		if r.Filename == "robots.txt" {
			named++
			if r.SHA256 != hex.EncodeToString(sum[:]) || r.TotalBytes != 77 || !r.Complete {
				t.Errorf("robots.txt: %+v", r)
			}
			continue
		}
		// a listing: the bytes of its data connection as tshark follows it
		sides, err := tsharktest.FollowRaw(filepath.Join(pcapDir(t), name), "tcp", d.Streams[r.UID])
		if err != nil {
			t.Fatal(err)
		}
		side := sides[1]
		if r.FromOrig {
			side = sides[0]
		}
		ls := sha256.Sum256(side)
		if r.SHA256 != hex.EncodeToString(ls[:]) || r.SeenBytes != int64(len(side)) {
			t.Errorf("listing %s: %d bytes, tshark follows %d", r.FUID, r.SeenBytes, len(side))
		}
	}
	if named != 2 {
		t.Errorf("%d robots.txt transfers, want 2", named)
	}
}

// FuzzFTPReplies feeds arbitrary lines to the control-connection parsers: no panic, and what they accept is
// an address they can print back.
func FuzzFTPReplies(f *testing.F) {
	f.Add("227 Entering Passive Mode (199,233,217,249,221,90)")
	f.Add("229 Entering Extended Passive Mode (|||6446|)")
	f.Add("|2|1080::8:800:200C:417A|5282|")
	f.Add("150 Opening BINARY mode data connection for 'x' (77 bytes).")
	f.Fuzz(func(t *testing.T, s string) {
		if ap, ok := ParsePASV(s); ok && (!ap.Addr().Is4() || ap.Port() == 0) {
			t.Fatalf("PASV %q: %v", s, ap)
		}
		if ap, ok := ParsePORT(s); ok && (!ap.Addr().Is4() || ap.Port() == 0) {
			t.Fatalf("PORT %q: %v", s, ap)
		}
		if ap, ok := ParseEPRT(s); ok && (!ap.IsValid() || ap.Port() == 0) {
			t.Fatalf("EPRT %q: %v", s, ap)
		}
		if p, ok := ParseEPSV(s); ok && p == 0 {
			t.Fatalf("EPSV %q", s)
		}
		_ = replySize(s)
	})
}
