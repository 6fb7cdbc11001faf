package decode

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// TestVectors decodes published test vectors: RFC 4648 §10 ("foobar" in base16, base32, base32hex, base64),
// the base58 draft (draft-msporny-base58: "Hello World!", leading zero bytes), base36 values worked out by hand
// (256 = 7·36 + 4), and iodine's base32 test pair (its alphabet is RFC 4648's with 2-7 written 0-5).
func TestVectors(t *testing.T) {
	for _, c := range []struct {
		e    Encoding
		text string
		want string
	}{
		{Hex, "666F6F626172", "foobar"},
		{Hex, "666f6f626172", "foobar"},
		{Base32, "MZXW6YTBOI======", "foobar"},
		{Base32, "mzxw6ytboi", "foobar"},
		{Base32, "MZXW6===", "foo"},
		{Base32Hex, "CPNMUOJ1E8======", "foobar"},
		{Base64, "Zm9vYmFy", "foobar"},
		{Base64, "Zm9vYg==", "foob"},
		{Base64, "Zm9vYg", "foob"},
		{Base64URL, "Zm9vYmE", "fooba"},
		{Base58, "2NEpo7TZRRrLZSi2U", "Hello World!"},
		{Base58, "11233QC4", "\x00\x00\x28\x7f\xb4\xcd"},
		{Base36, "74", "\x01\x00"},
		{Base36, "073", "\x00\xff"},
		{IodineBase32, "nfxwi0lomv0gk21unfxgo3dfon0gs1th", "iodinetestingtesting"},
		{IodineBase32, "NFXWI0LOMV0GK21UNFXGO3DFON0GS1TH", "iodinetestingtesting"},
	} {
		got, err := DecodeString(c.e, c.text)
		if err != nil || string(got) != c.want {
			t.Errorf("%s %q: %q, %v; want %q", c.e, c.text, got, err, c.want)
		}
	}
}

// TestIodineAlphabets checks iodine's base64 and base64u against RFC 4648 base64 (encoding/base64): the same
// bits, each 6-bit value written with iodine's character for it; base128 against its 7-bit packing worked out by
// hand (0x78 0x9c, zlib's header, is 0111100 0100111 00 -> '8' (60), 'N' (39), 'a' (0)).
func TestIodineAlphabets(t *testing.T) {
	const rfc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	data := []byte("\x00\x10\x83\x10Q\x87 \x92\x8b0\xd3\x8fA\x14\x93Q\x55\x97a\x96\x9bq\xd7\x9f\x82\x18\xa3\x92Y\xa7\xa2\x9a\xab\xb2\xdb\xaf\xc3\x1c\xb3\xfb")
	std := base64.RawStdEncoding.EncodeToString(data)
	for _, c := range []struct {
		e        Encoding
		alphabet string
	}{{IodineBase64, iodine64}, {IodineBase64U, iodine64u}} {
		var want strings.Builder
		for i := 0; i < len(std); i++ {
			want.WriteByte(c.alphabet[strings.IndexByte(rfc, std[i])])
		}
		if got := EncodeString(c.e, data); got != want.String() {
			t.Errorf("%s: %q, want %q", c.e, got, want.String())
		}
		back, err := DecodeString(c.e, want.String())
		if err != nil || !bytes.Equal(back, data) {
			t.Errorf("%s: decoded %x, %v", c.e, back, err)
		}
	}
	if got := EncodeString(IodineBase128, []byte{0x78, 0x9c}); got != "8Na" {
		t.Errorf("base128 of 78 9c: %q, want \"8Na\"", got)
	}
	if got, err := DecodeString(IodineBase128, "8Na"); err != nil || !bytes.Equal(got, []byte{0x78, 0x9c}) {
		t.Errorf("base128 8Na: %x, %v", got, err)
	}
}

// TestRoundTrip encodes and decodes random bytes of every length up to 70 in every encoding.
func TestRoundTrip(t *testing.T) {
	for _, e := range []Encoding{Hex, Base32, Base32Hex, Base36, Base58, Base64, Base64URL, IodineBase32, IodineBase64, IodineBase64U, IodineBase128} {
		for n := 0; n <= 70; n++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(i*37 + n*11)
			}
			if n > 3 {
				b[0] = 0 // a leading zero byte
			}
			got, err := DecodeString(e, EncodeString(e, b))
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("%s, %d bytes: %x, %v; want %x", e, n, got, err, b)
			}
		}
	}
}

// TestGuess checks the first guess on texts of each alphabet (long enough to show it) and on the ambiguous
// cases.
func TestGuess(t *testing.T) {
	data := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. \x00\xff\x10\x80", 4))
	for _, c := range []struct {
		text string
		want Encoding
	}{
		{EncodeString(Hex, data), Hex},
		{strings.ToUpper(EncodeString(Hex, data)), Hex},
		{EncodeString(Base32, data), Base32},
		{strings.ToLower(strings.TrimRight(EncodeString(Base32, data), "=")), Base32},
		{EncodeString(Base32Hex, data), Base32Hex},
		{EncodeString(Base36, data), Base36},
		{EncodeString(Base58, data), Base58},
		{EncodeString(Base64, data), Base64},
		{EncodeString(Base64URL, data), Base64URL},
		{EncodeString(IodineBase128, data), IodineBase128},
		{"a.b", Raw},
	} {
		got, why := Guess(c.text)
		if len(got) == 0 || got[0] != c.want {
			t.Errorf("Guess(%.30q...) = %v (%s), want %s first", c.text, got, why, c.want)
		}
	}
	if got, _ := Guess(""); got != nil {
		t.Errorf("Guess(\"\") = %v", got)
	}
}

// TestDecompress decompresses the three formats, leaves other bytes alone and refuses a bomb over the limit.
func TestDecompress(t *testing.T) {
	plain := bytes.Repeat([]byte("exfiltrated "), 100)
	for _, kind := range []string{"gzip", "zlib", "deflate"} {
		got, k, err := Decompress(compress(t, kind, plain), 0)
		if err != nil || k != kind || !bytes.Equal(got, plain) {
			t.Errorf("%s: %q %v, %d bytes", kind, k, err, len(got))
		}
	}
	if got, k, err := Decompress(plain, 0); k != "" || err != nil || !bytes.Equal(got, plain) {
		t.Errorf("text taken for %q (%v)", k, err)
	}
	bomb := compress(t, "gzip", make([]byte, 1<<20))
	if _, _, err := Decompress(bomb, 1000); err == nil {
		t.Error("a 1 MiB stream passed a 1000-byte limit")
	}
}

// TestLabels reads the dns table's escaped names back to bytes, and EscapeName writes them again.
func TestLabels(t *testing.T) {
	for _, c := range []struct {
		name string
		want []string
	}{
		{"a.b.c", []string{"a", "b", "c"}},
		{`a\x2eb.c`, []string{"a.b", "c"}},
		{`\\x\xbc\xfd.pirate.sea`, []string{`\x` + "\xbc\xfd", "pirate", "sea"}},
		{".", nil},
		{"", nil},
		{`bad\xZZ.c`, []string{`bad\xZZ`, "c"}},
	} {
		got := Labels(c.name)
		if len(got) != len(c.want) {
			t.Errorf("Labels(%q) = %q, want %q", c.name, got, c.want)
			continue
		}
		for i := range got {
			if string(got[i]) != c.want[i] {
				t.Errorf("Labels(%q)[%d] = %q, want %q", c.name, i, got[i], c.want[i])
			}
		}
		if c.want != nil && !strings.Contains(c.name, "ZZ") && EscapeName(got) != c.name {
			t.Errorf("EscapeName(Labels(%q)) = %q", c.name, EscapeName(got))
		}
	}
}

// FuzzDecodeString decodes any text in every encoding: no panic, and what decodes re-encodes to text that
// decodes to the same bytes.
func FuzzDecodeString(f *testing.F) {
	f.Add("MZXW6YTBOI======")
	f.Add("2NEpo7TZRRrLZSi2U")
	f.Add("8Na\xbc\xfd")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2000 {
			return
		}
		Guess(s)
		for _, e := range []Encoding{Hex, Base32, Base32Hex, Base36, Base58, Base64, Base64URL, IodineBase32, IodineBase64, IodineBase64U, IodineBase128} {
			b, err := DecodeString(e, s)
			if err != nil {
				continue
			}
			back, err := DecodeString(e, EncodeString(e, b))
			if err != nil || !bytes.Equal(back, b) {
				t.Fatalf("%s: %q decodes to %x, which does not round-trip (%x, %v)", e, s, b, back, err)
			}
		}
	})
}

// FuzzDecode runs Decode over names made of the fuzzer's bytes under a domain: no panic, no error but the
// documented ones.
func FuzzDecode(f *testing.F) {
	f.Add("0.666f6f.s1", "1.626172.s1", "")
	f.Add("init.mzxw6ytboi", "0.abc", "dnsexfiltrator")
	f.Add("1eaba82\xbc2hb", "vaaaakardli", "iodine")
	f.Add("05e100a621c3620001636f6e736f6c6500", "b73f01a621c362010a41", "dnscat2")
	f.Add("oncAAAACCFNTSC0y", "ondy6K6cAHNzaA.=connect", "dns2tcp")
	f.Fuzz(func(t *testing.T, a, b, tool string) {
		if len(a) > 300 || len(b) > 300 {
			return
		}
		ok := tool == ""
		for _, x := range Tools {
			ok = ok || x == tool
		}
		if !ok {
			tool = ""
		}
		qs := []Query{
			{Frame: 1, Name: EscapeName(append(Labels(a), []byte("ex"), []byte("test")))},
			{Frame: 2, Name: EscapeName(append(Labels(b), []byte("ex"), []byte("test")))},
			{Frame: 3, Name: a + ".ex.test"},
		}
		r, err := Decode(qs, Options{Domain: "ex.test", Tool: tool, Limit: 1 << 20})
		if err != nil && !strings.Contains(err.Error(), ErrTooLarge.Error()) {
			t.Fatal(err)
		}
		if r != nil && int64(len(r.Data)) > 1<<20 {
			t.Fatalf("%d bytes over the limit", len(r.Data))
		}
	})
}
