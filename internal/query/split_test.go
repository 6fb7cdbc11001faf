package query

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	mapping "github.com/duckdb/duckdb-go-bindings"
)

// duckdbParser counts statements with DuckDB's own parser (duckdb_extract_statements), the oracle of
// SplitStatements.
type duckdbParser struct {
	db   mapping.Database
	conn mapping.Connection
}

func newDuckDBParser(t testing.TB) *duckdbParser {
	t.Helper()
	p := &duckdbParser{}
	var cfg mapping.Config
	if mapping.CreateConfig(&cfg) == mapping.StateError {
		t.Fatal("duckdb: create config")
	}
	defer mapping.DestroyConfig(&cfg)
	var msg string
	if mapping.OpenExt(":memory:", &p.db, cfg, &msg) == mapping.StateError {
		t.Fatalf("duckdb: open: %s", msg)
	}
	if mapping.Connect(p.db, &p.conn) == mapping.StateError {
		mapping.Close(&p.db)
		t.Fatal("duckdb: connect")
	}
	t.Cleanup(func() {
		mapping.Disconnect(&p.conn)
		mapping.Close(&p.db)
	})
	return p
}

// count returns the number of statements DuckDB's parser finds in q, or -1 and the error when it cannot parse q.
func (p *duckdbParser) count(q string) (int, string) {
	var stmts mapping.ExtractedStatements
	n := mapping.ExtractStatements(p.conn, q, &stmts)
	defer mapping.DestroyExtracted(&stmts)
	if n == 0 {
		if msg := mapping.ExtractStatementsError(stmts); msg != "" {
			return -1, msg
		}
	}
	return int(n), ""
}

var splitCases = []struct {
	name string
	q    string
	want []string
}{
	{"one", "SELECT 1", []string{"SELECT 1"}},
	{"one with semicolon", "SELECT 1;", []string{"SELECT 1"}},
	{"two", "SELECT 1; SELECT 2", []string{"SELECT 1", "SELECT 2"}},
	{"empty statements", " ;; SELECT 1 ;\n;", []string{"SELECT 1"}},
	{"nothing", " \n ", nil},
	{"only comments", "-- a\n/* b */ ;", nil},
	{"string", "SELECT 'a;b'; SELECT 2", []string{"SELECT 'a;b'", "SELECT 2"}},
	{"doubled quote", "SELECT 'it''s;'; SELECT 2", []string{"SELECT 'it''s;'", "SELECT 2"}},
	{"backslash in a standard string", `SELECT 'a\'; SELECT 2`, []string{`SELECT 'a\'`, "SELECT 2"}},
	{"escape string", `SELECT E'a\';b'; SELECT 2`, []string{`SELECT E'a\';b'`, "SELECT 2"}},
	{"identifier ending in e", `SELECT 1 AS name; SELECT 'x\'; SELECT 3`, []string{"SELECT 1 AS name", `SELECT 'x\'`, "SELECT 3"}},
	{"quoted identifier", `SELECT 1 AS "a;""b"; SELECT 2`, []string{`SELECT 1 AS "a;""b"`, "SELECT 2"}},
	{"line comment", "SELECT 1 -- not; here\n; SELECT 2", []string{"SELECT 1 -- not; here", "SELECT 2"}},
	{"line comment ended by CR", "SELECT 1 -- not; here\r; SELECT 2", []string{"SELECT 1 -- not; here", "SELECT 2"}},
	{"comment then CR", "--\r SELECT 0", []string{"--\r SELECT 0"}},
	{"trailing line comment", "SELECT 1; -- done", []string{"SELECT 1"}},
	{"block comment", "SELECT /* ; */ 1; SELECT 2", []string{"SELECT /* ; */ 1", "SELECT 2"}},
	{"nested block comment", "SELECT /* a /* ; */ ; */ 1; SELECT 2", []string{"SELECT /* a /* ; */ ; */ 1", "SELECT 2"}},
	{"dollar quote", "SELECT $$a;b$$; SELECT 2", []string{"SELECT $$a;b$$", "SELECT 2"}},
	{"tagged dollar quote", "SELECT $x$a;$$;b$x$; SELECT 2", []string{"SELECT $x$a;$$;b$x$", "SELECT 2"}},
	{"parameter", "PREPARE p AS SELECT $1; EXECUTE p(3)", []string{"PREPARE p AS SELECT $1", "EXECUTE p(3)"}},
	{"dollar in identifier", "SELECT 1 AS a$b; SELECT 2", []string{"SELECT 1 AS a$b", "SELECT 2"}},
	{"macro and query", "CREATE MACRO m(x) AS x + 1; SELECT m(1)", []string{"CREATE MACRO m(x) AS x + 1", "SELECT m(1)"}},
	{"E after a dollar in an identifier", `SELECT a$E'\'; SELECT 2`, []string{`SELECT a$E'\'`, "SELECT 2"}},
	{"E after a number", `SELECT 1E'\'; SELECT 2`, []string{`SELECT 1E'\'; SELECT 2`}},
	{"E after an exponent", `SELECT 1e5e'\'; SELECT 2`, []string{`SELECT 1e5e'\'; SELECT 2`}},
	{"E after a decimal point", `SELECT 1.e'\'; SELECT 2`, []string{`SELECT 1.e'\'; SELECT 2`}},
	{"E after grouped digits", `SELECT 1_0e'\'; SELECT 2`, []string{`SELECT 1_0e'\'; SELECT 2`}},
	{"E after digits and an underscore", `SELECT 1_e'\'; SELECT 2`, []string{`SELECT 1_e'\'`, "SELECT 2"}},
	{"E in a hexadecimal number", `SELECT 0x1e'\'; SELECT 2`, []string{`SELECT 0x1e'\'`, "SELECT 2"}},
	{"two Es after a number", `SELECT 1ee'\'; SELECT 2`, []string{`SELECT 1ee'\'`, "SELECT 2"}},
	{"E after a dollar", `SELECT $E'\'; SELECT 2`, []string{`SELECT $E'\'; SELECT 2`}},
	{"named parameter", `PREPARE p AS SELECT $x; EXECUTE p(x := 1)`, []string{"PREPARE p AS SELECT $x", "EXECUTE p(x := 1)"}},
	{"dollar quote right after a number", `SELECT 1$$;$$; SELECT 2`, []string{`SELECT 1$$;$$`, "SELECT 2"}},
	{"dollar quote after an exponent", `SELECT 1e5$$;$$; SELECT 2`, []string{`SELECT 1e5$$;$$`, "SELECT 2"}},
	{"identifier with dollars after a number", `SELECT 1a$$; SELECT 2`, []string{`SELECT 1a$$`, "SELECT 2"}},
	{"no hexadecimal numbers", `SELECT 0x$$; SELECT 2`, []string{`SELECT 0x$$`, "SELECT 2"}},
	{"no-break space in an identifier", "SELECT \u00a0", []string{"SELECT \u00a0"}},
	{"no-break space alone", "SELECT 1 AS x\u00a0;\u00a0", []string{"SELECT 1 AS x\u00a0", "\u00a0"}},
	{"numbered parameter then an identifier", `SELECT ?0e0$$ $$; SELECT 2`, []string{`SELECT ?0e0$$ $$; SELECT 2`}},
	{"dollar parameter then an identifier", `SELECT $1e0$$ $$; SELECT 2`, []string{`SELECT $1e0$$ $$; SELECT 2`}},
	{"parameter then a dollar quote", `SELECT $1$$;$$; SELECT 2`, []string{`SELECT $1$$;$$`, "SELECT 2"}},
	{"exponent after a decimal point", `SELECT 1.e5$$;$$; SELECT 2`, []string{`SELECT 1.e5$$;$$`, "SELECT 2"}},
	{"signed exponent", `SELECT 1e+5e'\'; SELECT 2`, []string{`SELECT 1e+5e'\'; SELECT 2`}},
	// Since DuckDB 2.0 the continuation of an escape string takes no backslash escapes.
	{"escape string continued", "SELECT E'a'\n'\\';'; SELECT 2", []string{"SELECT E'a'\n'\\'", "'; SELECT 2"}},
	{"escape string continued after a comment", "SELECT E'a' -- c\n\t'\\';'; SELECT 2", []string{"SELECT E'a' -- c\n\t'\\'", "'; SELECT 2"}},
	{"escape string not continued on the same line", `SELECT E'a' '\'; SELECT 2`, []string{`SELECT E'a' '\'`, "SELECT 2"}},
	{"string continued", "SELECT 'a'\n'\\'; SELECT 2", []string{"SELECT 'a'\n'\\'", "SELECT 2"}},
	{"unterminated string", "SELECT 1; SELECT 'a;", []string{"SELECT 1", "SELECT 'a;"}},
	// DuckDB 2.0 reads backticks as quotes of an identifier.
	{"backtick identifier", "SELECT 1 AS `a;b`; SELECT 2", []string{"SELECT 1 AS `a;b`", "SELECT 2"}},
	{"doubled backtick", "SELECT 1 AS `a``;b`; SELECT 2", []string{"SELECT 1 AS `a``;b`", "SELECT 2"}},
	{"unterminated backtick", "SELECT 1; `", []string{"SELECT 1", "`"}},
	{"unterminated comment", "SELECT 1; /* a;", []string{"SELECT 1", "/* a;"}},
}

func TestSplitStatements(t *testing.T) {
	p := newDuckDBParser(t)
	for _, tc := range splitCases {
		t.Run(tc.name, func(t *testing.T) {
			got := SplitStatements(tc.q)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("SplitStatements(%q) = %q, want %q", tc.q, got, tc.want)
			}
			checkSplit(t, p, tc.q, got)
		})
	}
}

// maxOracleLen is the longest text checked against DuckDB's parser, whose time grows with the cube of the length
// of some texts (a run of 1,000 '+' takes it 0.6 s, 3,000 over 10 s, which the fuzzing engine takes for a hang).
const maxOracleLen = 512

// checkSplit checks a split of q against DuckDB's parser: when it parses q, each part alone is one statement or
// text in which it finds none (which it skips in a script as well, and which runQuery skips), and it finds as
// many statements in q as there are parts of one statement.
func checkSplit(t *testing.T, p *duckdbParser, q string, parts []string) {
	t.Helper()
	if !utf8.ValidString(q) || strings.ContainsRune(q, 0) {
		// DuckDB's parser finds no statement in invalid UTF-8 and says nothing (running it fails); it reads text
		// as a C string, so a NUL ends it.
		return
	}
	if len(q) > maxOracleLen {
		return
	}
	n, msg := p.count(q)
	if n < 0 {
		// DuckDB cannot parse q: it reports the error when the statements run. When its scanner found a quote or
		// comment that q ends inside, the split must have found it too (the other way round does not hold: a
		// syntax error before it is reported first).
		if strings.Contains(msg, "unterminated") && !scan(q, func(int) {}) {
			t.Fatalf("%q: DuckDB's scanner finds an unterminated quote or comment (%s), SplitStatements none: %q", q, msg, parts)
		}
		return
	}
	statements := 0
	for _, s := range parts {
		switch m, msg := p.count(s); m {
		case 1:
			statements++
		case 0:
			if msg != "" {
				t.Fatalf("%q: part %q does not parse (%s)", q, s, msg)
			}
		case -1:
			// A part that DuckDB 2.0's scanner reads differently at the end of the text than before a blank
			// ("SELECT 0e0e" fails, "SELECT 0e0e " parses): the run still checks the part with DuckDB's own parser
			// before it executes it (Engine.checkStatement), so this costs an error message, never a statement
			// run unchecked.
			if m2, _ := p.count(s + "\n"); m2 == 1 {
				statements++
				continue
			}
			t.Fatalf("%q: part %q does not parse (%s)", q, s, msg)
		default:
			t.Fatalf("%q: part %q is %d statements for DuckDB's parser (%s)", q, s, m, msg)
		}
	}
	if n != statements {
		t.Fatalf("%q: DuckDB's parser finds %d statements, SplitStatements %d: %q", q, n, statements, parts)
	}
}

func TestComplete(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1;":                   true,
		"SELECT 1; ":                  true,
		"SELECT 1; -- done":           true,
		"SELECT 1; /* done */\n":      true,
		"SELECT 1":                    false,
		"":                            false,
		"SELECT 'a;":                  false,
		"SELECT 'a;\nb';":             true,
		"SELECT 1 -- c;":              false,
		"SELECT 1 -- c;\n;":           true,
		"SELECT /* ; */ 1":            false,
		"SELECT /* a /* b */ ; */ 1;": true,
		"SELECT /* a /* b */ ;":       false,
		"SELECT $$;":                  false,
		"SELECT $$;$$;":               true,
		"SELECT E'\\';":               false,
		"SELECT '\\';":                true,
		`SELECT "a;`:                  false,
		"SELECT 1; SELECT 2":          false,
		"SELECT 1; SELECT 2;":         true,
	} {
		if got := Complete(q); got != want {
			t.Errorf("Complete(%q) = %v, want %v", q, got, want)
		}
	}
}

func FuzzSplitStatements(f *testing.F) {
	for _, tc := range splitCases {
		f.Add(tc.q)
	}
	f.Add("SELECT 'a' 'b'; SELECT U&'d\\0061t;a'")
	f.Add("SELECT $tag$ $ta$ ; $tag$; SELECT $a")
	p := newDuckDBParser(f)
	f.Fuzz(func(t *testing.T, q string) {
		parts := SplitStatements(q)
		for _, s := range parts {
			if s == "" {
				t.Fatalf("%q: empty part in %q", q, parts)
			}
		}
		// DuckDB parses text it cannot parse a second time with Unicode spaces made blanks
		// (Parser::StripUnicodeSpaces), so its count may be that of another text; the table cases with U+00A0 are
		// checked against it.
		// DuckDB 2.0's scanner reads control bytes other than blanks in ways of its own (SELECT \x14E'..' is no
		// escape string there). The run checks every part with DuckDB's parser before it executes it
		// (Engine.checkStatement), so the split's agreement with DuckDB is a convenience, checked here on text of
		// printable ASCII and blanks (and on every table case, in TestSplitStatements).
		if !strings.ContainsFunc(q, func(r rune) bool { return (r < 0x20 && r != '\n' && r != '\t' && r != '\r') || r >= 0x7f }) {
			checkSplit(t, p, q, parts)
		}
		// A complete text leaves the next statement apart.
		if Complete(q) {
			got := SplitStatements(q + "\nSELECT 42")
			n := len(got) - 1
			if n != len(parts) || !slices.Equal(got[:n], parts) || !strings.HasSuffix(got[n], "SELECT 42") || !blank(strings.TrimSpace(strings.TrimSuffix(got[n], "SELECT 42"))) {
				t.Fatalf("%q is complete, but with a statement after it splits into %q", q, got)
			}
		}
	})
}
