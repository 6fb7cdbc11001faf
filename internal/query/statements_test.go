package query

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	_ "github.com/duckdb/duckdb-go/v2"
)

// statementCases are texts and the statements in them, written from the rules of DuckDB's scanner (PostgreSQL's,
// third_party/libpg_query/scan.l, and DuckDB 2.0's backtick identifiers); each is also checked with DuckDB's
// parser (checkStatements) and, for the texts of views, by DuckDB running the whole text (TestStatementsRunAsDuckDB).
// err is a substring of the error, for text DuckDB cannot parse.
var statementCases = []struct {
	name string
	q    string
	want []string
	err  string
}{
	{"one", "SELECT 1", []string{"SELECT 1"}, ""},
	{"one with semicolon", "SELECT 1;", []string{"SELECT 1;"}, ""},
	{"two", "SELECT 1; SELECT 2", []string{"SELECT 1;", "SELECT 2"}, ""},
	{"empty statements", " ;; SELECT 1 ;\n;", []string{"SELECT 1 ;"}, ""},
	{"nothing", " \n ", nil, ""},
	{"only comments", "-- a\n/* b */ ;", nil, ""},
	{"comments before", "-- a; b\nSELECT 1; /* c; */ SELECT 2", []string{"-- a; b\nSELECT 1;", "/* c; */ SELECT 2"}, ""},
	{"string", "SELECT 'a;b'; SELECT 2", []string{"SELECT 'a;b';", "SELECT 2"}, ""},
	{"doubled quote", "SELECT 'it''s;'; SELECT 2", []string{"SELECT 'it''s;';", "SELECT 2"}, ""},
	{"backslash in a standard string", `SELECT 'a\'; SELECT 2`, []string{`SELECT 'a\';`, "SELECT 2"}, ""},
	{"escape string", `SELECT E'a\';b'; SELECT 2`, []string{`SELECT E'a\';b';`, "SELECT 2"}, ""},
	{"identifier ending in e", `SELECT 1 AS name; SELECT 'x\'; SELECT 3`, []string{"SELECT 1 AS name;", `SELECT 'x\';`, "SELECT 3"}, ""},
	{"quoted identifier", `SELECT 1 AS "a;""b"; SELECT 2`, []string{`SELECT 1 AS "a;""b";`, "SELECT 2"}, ""},
	{"line comment", "SELECT 1 -- not; here\n; SELECT 2", []string{"SELECT 1 -- not; here\n;", "SELECT 2"}, ""},
	{"line comment ended by CR", "SELECT 1 -- not; here\r; SELECT 2", []string{"SELECT 1 -- not; here\r;", "SELECT 2"}, ""},
	{"comment then CR", "--\r SELECT 0", []string{"--\r SELECT 0"}, ""},
	{"trailing line comment", "SELECT 1; -- done;", []string{"SELECT 1;"}, ""},
	{"block comment", "SELECT /* ; */ 1; SELECT 2", []string{"SELECT /* ; */ 1;", "SELECT 2"}, ""},
	{"nested block comment", "SELECT /* a /* ; */ ; */ 1; SELECT 2", []string{"SELECT /* a /* ; */ ; */ 1;", "SELECT 2"}, ""},
	{"dollar quote", "SELECT $$a;b$$; SELECT 2", []string{"SELECT $$a;b$$;", "SELECT 2"}, ""},
	{"tagged dollar quote", "SELECT $x$a;$$;b$x$; SELECT 2", []string{"SELECT $x$a;$$;b$x$;", "SELECT 2"}, ""},
	{"parameter", "PREPARE p AS SELECT $1; EXECUTE p(3)", []string{"PREPARE p AS SELECT $1;", "EXECUTE p(3)"}, ""},
	{"dollar in identifier", "SELECT 1 AS a$b; SELECT 2", []string{"SELECT 1 AS a$b;", "SELECT 2"}, ""},
	{"macro and query", "CREATE MACRO m(x) AS x + 1; SELECT m(1)", []string{"CREATE MACRO m(x) AS x + 1;", "SELECT m(1)"}, ""},
	{"E after a dollar in an identifier", `SELECT a$E'\'; SELECT 2`, []string{`SELECT a$E'\';`, "SELECT 2"}, ""},
	{"dollar quote right after a number", `SELECT 1 AS x, 1$$;$$; SELECT 2`, nil, "syntax error"},
	{"blank after a number at the end", "SELECT 1; SELECT 0e0e ", []string{"SELECT 1;", "SELECT 0e0e "}, ""},
	{"semicolon ends a number", "SELECT 0e0e;", []string{"SELECT 0e0e;"}, ""},
	{"backtick identifier", "SELECT 1 AS `a;b`; SELECT 2", []string{"SELECT 1 AS `a;b`;", "SELECT 2"}, ""},
	{"doubled backtick", "SELECT 1 AS `a``;b`; SELECT 2", []string{"SELECT 1 AS `a``;b`;", "SELECT 2"}, ""},
	{"U& is an operator then a string", "SELECT U&'a;\\0062'; SELECT 2", []string{"SELECT U&'a;\\0062';", "SELECT 2"}, ""},
	{"string continued", "SELECT 'a'\n'\\;'; SELECT 2", []string{"SELECT 'a'\n'\\;';", "SELECT 2"}, ""},
	{"many statements", strings.Repeat("SELECT 'x;y'; ", 40), slices.Repeat([]string{"SELECT 'x;y';"}, 40), ""},
	{"semicolons inside a string at the end", "SELECT 1; SELECT 'a;b;c'", []string{"SELECT 1;", "SELECT 'a;b;c'"}, ""},
	{"many semicolons inside a string", "SELECT 1; SELECT '" + strings.Repeat("a;", 100) + "' AS x; SELECT 2",
		[]string{"SELECT 1;", "SELECT '" + strings.Repeat("a;", 100) + "' AS x;", "SELECT 2"}, ""},
	{"many semicolons inside a line comment", "SELECT 1 -- " + strings.Repeat(";", 100) + "\n; SELECT 2 /* ;; */ ; SELECT '" + strings.Repeat(";", 20) + "'",
		[]string{"SELECT 1 -- " + strings.Repeat(";", 100) + "\n;", "SELECT 2 /* ;; */ ;", "SELECT '" + strings.Repeat(";", 20) + "'"}, ""},
	{"no-break space in an identifier", "SELECT \u00a0", []string{"SELECT \u00a0"}, ""},
	// Text DuckDB cannot parse: nothing runs.
	{"E after a number", `SELECT 1E'\'; SELECT 2`, nil, "unterminated"},
	{"E after a dollar", `SELECT $E'\'; SELECT 2`, nil, "unterminated"},
	{"escape string continued", "SELECT E'a'\n'\\';'; SELECT 2", nil, "unterminated"},
	{"unterminated string", "SELECT 1; SELECT 'a;", nil, "unterminated"},
	{"unterminated backtick", "SELECT 1; `", nil, "unterminated"},
	{"unterminated comment", "SELECT 1; /* a;", nil, "unterminated"},
	{"syntax error after a statement", "SELECT 1; SELEC 2", nil, "syntax error"},
	{"no-break space alone", "SELECT 1 AS x\u00a0;\u00a0", nil, "syntax error"},
	{"number at the end", "SELECT 0e0e", nil, "scientific notation"},
	{"invalid UTF-8", "SELECT '\xff'", nil, "UTF-8"},
	{"NUL byte", "SELECT 1; SELECT '\x00'", nil, "NUL"},
}

func TestStatements(t *testing.T) {
	for _, tc := range statementCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Statements(tc.q)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || got != nil {
					t.Fatalf("Statements(%q) = %q, %v; want an error with %q", tc.q, got, err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("Statements(%q) = %q, %v; want %q", tc.q, got, err, tc.want)
			}
			checkStatements(t, tc.q, got)
		})
	}
}

// TestStatementsSearch runs the table cases with every statement end found by bisection alone, and by trying
// every semicolon in turn alone: both give the statements of the table.
func TestStatementsSearch(t *testing.T) {
	defer func(n int) { sequentialTries = n }(sequentialTries)
	for _, tries := range []int{0, 1, 1 << 30} {
		sequentialTries = tries
		for _, tc := range statementCases {
			if got, err := Statements(tc.q); tc.err == "" && (err != nil || !slices.Equal(got, tc.want)) {
				t.Errorf("%d tries, %s: Statements(%q) = %q, %v; want %q", tries, tc.name, tc.q, got, err, tc.want)
			}
		}
	}
}

// TestStatementsBudget checks that a text whose statement ends would take DuckDB too much parsing to find is
// refused (nothing runs), not split otherwise: with the budget lowered to 100 KB, a string of 10,000 semicolons.
func TestStatementsBudget(t *testing.T) {
	defer func(b int) { maxProbeBytes = b }(maxProbeBytes)
	maxProbeBytes = 100 << 10
	q := "SELECT 1; SELECT '" + strings.Repeat("a;", 10000) + "' AS x; SELECT 2"
	got, err := Statements(q)
	if !errors.Is(err, ErrStatementText) || !strings.Contains(err.Error(), "too many semicolons") || got != nil {
		t.Fatalf("Statements = %d statements, %v; want the budget's error", len(got), err)
	}
	maxProbeBytes = 10 << 20
	if got, err := Statements(q); err != nil || len(got) != 3 {
		t.Fatalf("with 10 MB: %d statements, %v; want 3", len(got), err)
	}
}

// maxParseLen is the longest text the fuzz target has DuckDB parse, whose time grows with the cube of the length
// of some texts (a run of 1,000 '+' takes it 0.6 s, 3,000 over 10 s, which the fuzzing engine takes for a hang).
const maxParseLen = 512

// checkStatements checks the statements of q against DuckDB's parser: each is one statement, they are as many
// as DuckDB finds in q, and they stand in q in order without overlapping.
func checkStatements(t *testing.T, q string, stmts []string) {
	t.Helper()
	n, err := CountStatements(q)
	if err != nil {
		t.Fatalf("%q: DuckDB cannot parse it (%v), yet there are statements %q", q, err, stmts)
	}
	if n != len(stmts) {
		t.Fatalf("%q: DuckDB finds %d statements, Statements %d: %q", q, n, len(stmts), stmts)
	}
	at := 0
	for _, s := range stmts {
		if m, err := CountStatements(s); m != 1 || err != nil {
			t.Fatalf("%q: statement %q is %d statements for DuckDB (%v)", q, s, m, err)
		}
		i := strings.Index(q[at:], s)
		if i < 0 {
			t.Fatalf("%q: statement %q is not in the text after byte %d", q, s, at)
		}
		at += i + len(s)
	}
}

// TestStatementsRunAsDuckDB checks the statements against what DuckDB itself runs: the whole text run by duckdb-go
// (which runs the statements DuckDB extracts, one after the other) and the statements run one at a time leave the
// same views, whose definitions DuckDB keeps; a statement cut elsewhere would define another view, or fail.
func TestStatementsRunAsDuckDB(t *testing.T) {
	for _, q := range []string{
		"CREATE VIEW v1 AS SELECT 'a;b' AS x; CREATE VIEW v2 AS SELECT 2 AS \"y;\"",
		"CREATE VIEW v1 AS SELECT 1 -- c; CREATE VIEW v2 AS SELECT 2\n AS z; CREATE VIEW v3 AS SELECT $t$;$$;$t$ AS w",
		"CREATE VIEW v1 AS SELECT /* ; /* ; */ ; */ E'\\';' AS x;;; CREATE VIEW v2 AS SELECT 1 AS `a;b`",
		"CREATE VIEW v1 AS SELECT 'a'\n';' AS x; CREATE VIEW v2 AS SELECT $$'a;\n--;$$ AS y -- ;\n; CREATE VIEW v3 AS SELECT 3",
	} {
		stmts, err := Statements(q)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		want := views(t, []string{q})
		if strings.HasPrefix(want, "error") || strings.Count(want, "\x1e") != len(stmts) {
			t.Fatalf("%q: DuckDB defines\n%s\nnot one view per statement of %q", q, want, stmts)
		}
		if got := views(t, stmts); got != want {
			t.Errorf("%q: statements %q define views\n%s\nDuckDB defines\n%s", q, stmts, got, want)
		}
	}
}

// views runs texts in a new in-memory database that reads no file and returns the definitions of its views, each
// ended by \x1e and a line break, or the error.
func views(t testing.TB, texts []string) string {
	t.Helper()
	db, err := sql.Open("duckdb", "?enable_external_access=false&autoload_known_extensions=false&lock_configuration=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range texts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return "error: " + err.Error()
		}
	}
	rows, err := db.QueryContext(ctx, "SELECT view_name || ': ' || sql FROM duckdb_views() WHERE NOT internal ORDER BY view_name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		b.WriteString(s + "\x1e\n") // a record separator: definitions may hold line breaks
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestComplete(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"SELECT 1;", true},
		{"SELECT 1; ", true},
		{"SELECT 1;\n", true},
		{"SELECT 1", false},
		{"", false},
		{"SELECT 1; -- done", false}, // the prompt runs a statement at a line that ends with its semicolon
		{"SELECT 'a;", false},
		{"SELECT 'a;\nb';", true},
		{"SELECT 1 -- c;", false},
		{"SELECT 1 -- c;\n;", true},
		{"SELECT /* ; */ 1", false},
		{"SELECT /* a /* b */ ; */ 1;", true},
		{"SELECT /* a /* b */ ;", false},
		{"SELECT $$;", false},
		{"SELECT $x$ a $$;", false},
		{"SELECT $x$ a;\n b $x$;", true},
		{"SELECT $x$ a;\n b;", false},
		{"SELECT 1 AS \"$\"; SELECT $$ a;\n b;", false},
		{"SELECT $$;$$;", true},
		{"SELECT E'\\';", false},
		{"SELECT '\\';", true},
		{`SELECT "a;`, false},
		{"SELECT `a;", false},
		{"SELECT 1; SELECT 2", false},
		{"SELECT 1; SELECT 2;", true},
		{"SELECT 1 +;", true},    // a syntax error: run, so that DuckDB reports it
		{"SELEC 'a;", false},     // unterminated, whatever comes before
		{"SELECT (1;", true},     // a syntax error at the semicolon
		{"SELECT '\xff';", true}, // not valid UTF-8: run, so that the error is reported
		{"SELECT '\x00';", true}, // a NUL: likewise
		{"SELECT 1 $$ a $$;", true},
	} {
		if got := Complete(tc.q); got != tc.want {
			t.Errorf("Complete(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func FuzzStatements(f *testing.F) {
	for _, tc := range statementCases {
		f.Add(tc.q)
	}
	f.Add("SELECT 'a' 'b'; SELECT U&'d\\0061t;a'")
	f.Add("SELECT $tag$ $ta$ ; $tag$; SELECT $a")
	f.Add("SELECT U&'a;' UESCAPE 'S'; SELECT 2")
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > maxParseLen {
			return
		}
		stmts, err := Statements(q)
		if errors.Is(err, ErrStatementText) && !strings.Contains(q, "\x00") {
			t.Fatalf("%q: %v", q, err) // DuckDB's parser and the semicolons it finds disagree: never expected
		}
		if err != nil {
			if stmts != nil {
				t.Fatalf("%q: statements %q with the error %v", q, stmts, err)
			}
			if _, cerr := CountStatements(q); cerr == nil && utf8.ValidString(q) && !strings.Contains(q, "\x00") {
				t.Fatalf("%q: DuckDB parses it, Statements fails: %v", q, err)
			}
			return
		}
		checkStatements(t, q, stmts)
		// Complete and Statements agree on whether the text ends with a semicolon that ends a statement: then a
		// statement after it stands apart.
		if !strings.HasSuffix(strings.TrimRight(q, spaces), ";") {
			return
		}
		got, err := Statements(q + "\nSELECT 42")
		apart := err == nil && slices.Equal(got, append(slices.Clip(stmts), "SELECT 42"))
		if c := Complete(q); c != apart {
			t.Fatalf("%q: Complete %v, but with a statement after it: %q, %v", q, c, got, err)
		}
	})
}

// BenchmarkStatements measures the parses that finding the statements takes: a usual text (every semicolon ends
// a statement), one whose every other semicolon is inside a string, one with a string of 10,000 semicolons, and
// 1,000 statements with 20 in a string each.
func BenchmarkStatements(b *testing.B) {
	for _, bc := range []struct{ name, q string }{
		{"usual", "CREATE TABLE t AS SELECT 41 AS x; SELECT x + 1 AS y FROM t; SELECT count(*) FROM packets"},
		{"strings", strings.Repeat("SELECT 'a;b' AS x; ", 100)},
		{"long string", "SELECT 1; SELECT '" + strings.Repeat("a;", 10000) + "' AS x; SELECT 2"},
		{"script", strings.Repeat("INSERT INTO t VALUES ('"+strings.Repeat(";", 20)+"');\n", 1000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Statements(bc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
