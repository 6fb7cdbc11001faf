package tls

import (
	"strings"
	"testing"
)

func hex16(t *testing.T, list string) []uint16 {
	t.Helper()
	var out []uint16
	for _, s := range strings.Split(list, ",") {
		var v uint16
		for _, c := range s {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= uint16(c - '0')
			case c >= 'a' && c <= 'f':
				v |= uint16(c-'a') + 10
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		out = append(out, v)
	}
	return out
}

// TestJA4Vectors checks JA4 and JA4_r against vectors built from FoxIO's technical_details/JA4.md (commit
// d8f731ce of github.com/FoxIO-LLC/ja4): its worked example (section "Example" and "Raw Output": the cipher list,
// the extension list and the signature algorithms given in "Cipher hash" and "Extension hash"), its no-signature-
// algorithm hash (6d807ffa2a79), and its ALPN hex examples. GREASE values are added to every list to check that
// they are ignored. The RFC 9001 vector is the ClientHello of RFC 9001 Appendix A.2, whose fingerprint was worked
// out by hand from the RFC's hex (2 ciphers, 11 extensions, ALPN "alpn", TLS 1.3 in supported_versions) with the
// hashes computed by sha256sum.
func TestJA4Vectors(t *testing.T) {
	specCiphers := hex16(t, "0a0a,1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035")
	specExtTypes := hex16(t, "1a1a,001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015")
	specSigs := hex16(t, "0403,0804,0401,0503,0805,0501,0806,0601")
	build := func(sigs bool, alpn ext) []ext {
		var exts []ext
		for _, typ := range specExtTypes {
			switch typ {
			case extServerName:
				exts = append(exts, sniExt("example.com"))
			case extALPN:
				exts = append(exts, alpn)
			case extSignatureAlgorithms:
				if sigs {
					exts = append(exts, sigExt(append([]uint16{0x2a2a}, specSigs...)...))
				} else {
					exts = append(exts, ext{extSignatureAlgorithms, withLen16(nil)})
				}
			case extSupportedVersions:
				exts = append(exts, versionsExt(0x3a3a, 0x0304, 0x0303))
			default:
				exts = append(exts, ext{typ, nil})
			}
		}
		return exts
	}
	for _, tc := range []struct {
		name     string
		body     []byte
		quic     bool
		ja4, raw string
	}{
		{"JA4.md example", clientHelloBody(0x0303, nil, specCiphers, build(true, alpnExt("h2", "http/1.1"))), false,
			"t13d1516h2_8daaf6152771_e5627efa2ab1",
			"t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"},
		{"JA4.md without signature algorithms", clientHelloBody(0x0303, nil, specCiphers, build(false, alpnExt("h2"))), true,
			"q13d1516h2_8daaf6152771_6d807ffa2a79", ""},
		{"no ciphers, no extensions, TLS 1.0", clientHelloBody(0x0301, nil, nil, nil), false,
			"t10i000000_000000000000_000000000000", "t10i000000__"},
	} {
		ch, err := parseClientHello(tc.body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		fp, raw := ja4(ch, tc.quic)
		if fp != tc.ja4 {
			t.Errorf("%s: ja4 = %s, want %s", tc.name, fp, tc.ja4)
		}
		if tc.raw != "" && raw != tc.raw {
			t.Errorf("%s: ja4_r =\n %s, want\n %s", tc.name, raw, tc.raw)
		}
	}
	// ALPN: JA4.md's "ALPN Extension Value" examples.
	for _, tc := range []struct {
		alpn string
		want string
	}{
		{"h2", "h2"}, {"http/1.1", "h1"}, {"h", "hh"}, {"", "00"},
		{"\xab", "ab"}, {"\xab\xcd", "ad"}, {"\x30\xab", "3b"}, {"\x30\x31\xab\xcd", "3d"}, {"\x30\xab\xcd\x31", "01"},
	} {
		ch := &clientHello{alpn: []string{tc.alpn}}
		if got := ja4ALPN(ch); got != tc.want {
			t.Errorf("alpn %q: %s, want %s", tc.alpn, got, tc.want)
		}
	}
	if got := ja4ALPN(&clientHello{}); got != "00" {
		t.Errorf("no alpn: %s", got)
	}
}

// TestJA3Synthetic checks JA3 on a hello whose string is written out from the JA3 README's definition (decimal
// values, GREASE removed); the MD5 is of that text (md5sum).
func TestJA3Synthetic(t *testing.T) {
	body := clientHelloBody(0x0303, nil, []uint16{0x0a0a, 0x1301, 0xc02b}, []ext{
		{0x2a2a, nil}, sniExt("a.example"), groupsExt(0x4a4a, 29, 23), {extECPointFormats, withLen8([]byte{0})},
	})
	ch, err := parseClientHello(body)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ja3String(ch), "771,4865-49195,0-10-11,29-23,0"; got != want {
		t.Errorf("ja3_string = %s, want %s", got, want)
	}
	if got, want := md5Hex(ja3String(ch)), "3e916670429427a5a33c947802616cdc"; got != want {
		t.Errorf("ja3 = %s, want %s", got, want)
	}
}
