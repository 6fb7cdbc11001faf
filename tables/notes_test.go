package tables_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/dns"
	"github.com/pcapframe/pcapframe/analyzer/tls"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/tables"
)

func TestNoteKind(t *testing.T) {
	for _, tc := range []struct{ note, kind string }{
		{"", ""},
		{"handshake not completed", "handshake not completed"},
		{"invalid tls record header (4758ccacfa) in the server's stream", "invalid tls record header (...) in the server's stream"},
		{"handshake message type 144 of 6432645 bytes over the 64 KiB cap: skipped", "handshake message type N of N bytes over the N KiB cap: skipped"},
		{"quic: unsupported version 0xff00001d", "quic: unsupported version 0xN"},
		{"ipv6 extension header 43 truncated", "ipv6 extension header N truncated"}, // the 6 of ipv6 is part of a word
		{`bad label "a\x00b" in name`, `bad label "..." in name`},
		{"unclosed (paren 12", "unclosed (..."},
		{"sha256 of 1.5 MiB", "sha256 of N MiB"},
		{strings.Repeat("x", 300), strings.Repeat("x", 157) + "..."},
	} {
		if got := tables.NoteKind(tc.note); got != tc.kind {
			t.Errorf("NoteKind(%q) = %q, want %q", tc.note, got, tc.kind)
		}
	}
}

// TestNoteCounts checks Stats.Notes, the count of notes per table and kind, on damaged and hostile captures: the
// counts equal those of the rows the writers received (each row's note column split at "; "), and the notes the
// captures are known for are there: the DNS captures' malformed messages, the packets cut short, the TLS
// handshakes that never complete.
func TestNoteCounts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tables []string // tables that must have notes counted
	}{
		{"ndpi__dns-exf.pcap", []string{"dns"}},
		{"pcapframe__linktypes.pcapng", []string{"dns"}},
		{"chrissanders__dns_axfr.pcapng", []string{"dns"}},
		{"ndpi__fuzz-2021-10-13.pcap", nil},
		{"suricata-verify__bug-1450-04_tls_DER-incomplete-header.pcap", []string{"tls"}},
		{"pcapplusplus__Packet__Test_PacketExamples_tcp-malformed.pcap", []string{"packets"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pk collect[packet.Packet]
			var dn collect[dns.Row]
			var tl collect[tls.Row]
			outs := []tables.Output{{Def: tables.Packets, Writer: &pk}, {Def: tables.Lookup("dns"), Writer: &dn}, {Def: tables.Lookup("tls"), Writer: &tl}}
			st, err := tables.Run(context.Background(), []string{corpus(t, tc.name)}, outs, tables.Options{})
			if err != nil {
				t.Logf("%s: %v (damaged input)", tc.name, err)
			}
			want := map[string]int64{}
			add := func(table, note string) {
				for _, n := range strings.Split(note, "; ") {
					if n != "" {
						want[table+"/"+tables.NoteKind(n)]++
					}
				}
			}
			for i := range pk.rows {
				add("packets", pk.rows[i].Note)
			}
			for i := range dn.rows {
				add("dns", dn.rows[i].Note)
			}
			for i := range tl.rows {
				add("tls", tl.rows[i].Note)
			}
			got := map[string]int64{}
			tableAt := map[string]int{}
			for i, n := range st.Notes {
				key := n.Table + "/" + n.Kind
				if _, dup := got[key]; dup || n.Rows <= 0 {
					t.Errorf("note %q counted twice or not at all (%d)", key, n.Rows)
				}
				got[key] = n.Rows
				if j, ok := tableAt[n.Table]; ok && j != i-1 {
					t.Errorf("the notes of table %s are not together", n.Table)
				}
				tableAt[n.Table] = i
				if i > 0 && st.Notes[i-1].Table == n.Table && st.Notes[i-1].Rows < n.Rows {
					t.Errorf("%s: %q (%d) after %q (%d): not most frequent first", n.Table, n.Kind, n.Rows, st.Notes[i-1].Kind, st.Notes[i-1].Rows)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d kinds counted, the rows have %d: %v, rows %v", len(got), len(want), got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: counted %d, the rows have %d", k, got[k], v)
				}
			}
			for _, table := range tc.tables {
				if _, ok := tableAt[table]; !ok {
					t.Errorf("no note of table %s counted (%v)", table, got)
				}
			}
			if len(st.Notes) == 0 {
				t.Errorf("no notes counted in a damaged capture")
			}
		})
	}
}

// TestSelectAll checks that the one name "all" selects every table of the list, in order, and that "all" among
// other names is an unknown table.
func TestSelectAll(t *testing.T) {
	defs, err := tables.Select([]string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	names := tables.Names()
	if len(defs) != len(names) || len(names) < 5 {
		t.Fatalf("%d tables selected, the list has %d", len(defs), len(names))
	}
	for i, d := range defs {
		if d.Name() != names[i] {
			t.Errorf("table %d is %s, want %s", i, d.Name(), names[i])
		}
	}
	if _, err := tables.Select([]string{"packets", "all"}); err == nil || !strings.Contains(err.Error(), `unknown table "all"`) {
		t.Errorf("packets,all: %v, want unknown table", err)
	}
}

// FuzzNoteKind checks that the kind of any note is bounded, free of the digits that vary, and the same each time.
func FuzzNoteKind(f *testing.F) {
	for _, s := range []string{"invalid tls record header (4758ccacfa) in the server's stream", "0x", "0x1f (", `"a" 12.5`, "ipv6 64"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, note string) {
		k := tables.NoteKind(note)
		if len(k) > 160 {
			t.Fatalf("kind of %d bytes", len(k))
		}
		if k != tables.NoteKind(note) {
			t.Fatal("two kinds for one note")
		}
		if !strings.ContainsAny(note, "(\"") && strings.ContainsAny(note, "0123456789") && len(note) < 100 {
			for i := 0; i < len(k); i++ {
				if k[i] == '0' && i+2 < len(k) && k[i+1] == 'x' && k[i+2] == 'N' {
					continue // the 0x of a hexadecimal number
				}
				if k[i] >= '0' && k[i] <= '9' && (i == 0 || !(k[i-1] >= 'a' && k[i-1] <= 'z' || k[i-1] >= 'A' && k[i-1] <= 'Z' || k[i-1] == '_' || k[i-1] >= '0' && k[i-1] <= '9')) {
					t.Fatalf("kind %q of %q keeps a number", k, note)
				}
			}
		}
	})
}
