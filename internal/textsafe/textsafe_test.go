package textsafe

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The characters the issue names (C1 controls, bidirectional controls) and other invisible ones.
var unsafeRunes = []rune{
	0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x7f, // C0 and DEL
	0x80, 0x85, 0x9b, 0x9f, // C1, U+009B is CSI
	0x202a, 0x202b, 0x202c, 0x202d, 0x202e, // embeddings and overrides
	0x2066, 0x2067, 0x2068, 0x2069, // isolates
	0x200e, 0x200f, 0x061c, // marks
	0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x00ad, 0xe0001, 0xe0041, // invisible format characters
	0x2028, 0x2029, // separators
	0xe000, 0xf8ff, 0x10fffd, 0xfffe, 0xffff, 0x0378, // private use, noncharacters, unassigned
	0x115f, 0x1160, 0x3164, 0xffa0, // Hangul fillers
}

var safeRunes = []rune{' ', 'a', '~', '\\', 0xa0, 0xe9, 0x4e2d, 0x1f600, 0x05d0, 0x0627, 0x3000, 0xfffd}

func TestUnsafe(t *testing.T) {
	for _, r := range unsafeRunes {
		if !Unsafe(r) {
			t.Errorf("U+%04X is safe, want unsafe", r)
		}
	}
	for _, r := range safeRunes {
		if Unsafe(r) {
			t.Errorf("U+%04X is unsafe, want safe", r)
		}
	}
	// Independent check against the Unicode tables: every control and format character is unsafe.
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Zl, unicode.Zp) && !Unsafe(r) {
			t.Fatalf("U+%04X (control, format, private use or separator) is safe", r)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"eth0", "eth0"},
		{"caf\u00e9 \u4e2d", "caf\u00e9 \u4e2d"},
		{"a\tb\nc", `a\x09b\x0ac`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"x\u009b31my", `x\xc2\x9b31my`},
		{"evil\u202egnp.exe", `evil\xe2\x80\xaegnp.exe`},
		{"\u2066a\u2069", `\xe2\x81\xa6a\xe2\x81\xa9`},
		{"\u200e\u200f\u061c", `\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c`},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`},
		{"\U000e0041", `\xf3\xa0\x81\x81`},
		{"\u3164", `\xe3\x85\xa4`},
	}
	for _, tc := range tests {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{"eth0", `"eth0"`},
		{"x\u009by", `"x\u009by"`},
		{"a\u202eb", `"a\u202eb"`},
		{"\u2066\u2069\u200e\u200f\u061c", `"\u2066\u2069\u200e\u200f\u061c"`},
		{"del\x7f", `"del\u007f"`},
		{"tag\U000e0041", `"tag\udb40\udc41"`},
		{"caf\u00e9\U0001f600", "\"caf\u00e9\U0001f600\""},
		{"line\u2028", `"line\u2028"`}, // encoding/json escapes it itself
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got := JSON(b)
		if string(got) != tc.want {
			t.Errorf("JSON(%s) = %s, want %s", b, got, tc.want)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != tc.in {
			t.Errorf("%s decodes to %q (%v), want %q", got, back, err, tc.in)
		}
	}
	// Indented output keeps its layout.
	b, _ := json.MarshalIndent(map[string]string{"name": "a\u202eb"}, "", "  ")
	if got := string(JSON(b)); got != "{\n  \"name\": \"a\\u202eb\"\n}" {
		t.Errorf("indented: %q", got)
	}
	if got := JSON([]byte("\"\xff\"")); string(got) != `"\ufffd"` {
		t.Errorf("invalid UTF-8: %q", got)
	}
}

func TestJSONVisible(t *testing.T) {
	tests := []struct{ in, want string }{
		{"eth0", "eth0"},
		{"x\u009by", `x\xc2\x9by`},
		{"cap\u202egnp", `cap\xe2\x80\xaegnp`},
		{"del\x7f", `del\x7f`},
		{"a\nb\tc\rd", "a\nb\tc\rd"}, // layout decodes unchanged
		{"esc\x1b[2J\x00\b\f", `esc\x1b[2J\x00\x08\x0c`},
		{`back\u001b`, `back\u001b`},                       // an escaped backslash followed by text is no escape
		{"sep\u2028\u2029", `sep\xe2\x80\xa8\xe2\x80\xa9`}, // encoding/json writes these as \u2028, \u2029
		{"caf\u00e9", "caf\u00e9"},
	}
	for _, tc := range tests {
		b, _ := json.Marshal(tc.in)
		var back string
		if err := json.Unmarshal(JSONVisible(b), &back); err != nil || back != tc.want {
			t.Errorf("JSONVisible(%s) decodes to %q (%v), want %q", b, back, err, tc.want)
		}
		if want := Escape(tc.in); !strings.ContainsAny(tc.in, "\n\r\t") && back != want {
			t.Errorf("JSONVisible(%s) decodes to %q, Escape gives %q", b, back, want)
		}
	}
}

// checkSafe fails if s holds an unsafe character or invalid UTF-8 (controls below U+0020 are allowed when
// allowC0 is set: JSON layout).
func checkSafe(t *testing.T, what, s string, allowC0 bool) {
	t.Helper()
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\ufffd") {
			t.Fatalf("%s: invalid UTF-8 at %d in %q", what, i, s)
		}
		if Unsafe(r) && !(allowC0 && r < 0x20) {
			t.Fatalf("%s: unsafe U+%04X at %d in %q", what, r, i, s)
		}
	}
}

func FuzzEscapeJSON(f *testing.F) {
	for _, s := range []string{"", "eth0", "\u009b", "a\u202eb", "\xff\xfe", "\U000e0041x", "\\x41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		checkSafe(t, "Escape", e, false)
		clean := true
		for _, r := range s {
			if r == utf8.RuneError || Unsafe(r) {
				clean = false
			}
		}
		if clean && utf8.ValidString(s) && e != s {
			t.Fatalf("Escape changed safe text %q to %q", s, e)
		}
		b, err := json.Marshal(map[string]string{"k": s})
		if err != nil {
			t.Fatal(err)
		}
		j := JSON(b)
		checkSafe(t, "JSON", string(j), false)
		var before, after map[string]string
		if err := json.Unmarshal(b, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(j, &after); err != nil || after["k"] != before["k"] {
			t.Fatalf("JSON changed the value: %q -> %q (%v)", before["k"], after["k"], err)
		}
		v := JSONVisible(b)
		checkSafe(t, "JSONVisible", string(v), false)
		var shown map[string]string
		if err := json.Unmarshal(v, &shown); err != nil {
			t.Fatalf("JSONVisible: %v", err)
		}
		for _, r := range shown["k"] {
			if Unsafe(r) && r != '\n' && r != '\r' && r != '\t' {
				t.Fatalf("JSONVisible value %q holds U+%04X", shown["k"], r)
			}
		}
	})
}
