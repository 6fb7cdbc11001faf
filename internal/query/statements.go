package query

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2/mapping"
)

// Statements of a text, as DuckDB's parser delimits them.
//
// DuckDB's C API extracts the statements of a text (duckdb_extract_statements) but gives no way to read the text
// of each: its extracted statements are opaque, to be prepared and run. pcapframe runs statements by their text
// (the sandbox checks each, EXPLAIN by the text of the statement it explains), so the boundaries are asked of
// DuckDB's parser itself, and no SQL scanner of pcapframe's decides them. A statement ends at a semicolon that
// DuckDB's scanner reads as a token; a semicolon inside a string, a quoted identifier, a dollar-quoted string or
// a comment is text of that token. Inserting the statement probe (" SELECT 1;") right after a semicolon that
// ends a statement adds exactly one statement to what DuckDB extracts; inserted after a semicolon that a quote
// or a comment holds, the probe is held as well (it has no quote, dollar, backslash, comment mark or line break
// that could end or open one), and the count stays. So with the probe after every semicolon, DuckDB extracts as
// many more statements as there are semicolons that end one: all of them in the usual text (two parses then),
// or none. Otherwise each statement's end is looked for in the text from the end of the last one found, the
// first semicolons one at a time, then, for a statement with many semicolons inside strings, by bisection (see
// nextEnd), until as many are found as the probes counted.

// probe is the statement inserted after a semicolon to find whether it ends a statement (see above).
const probe = " SELECT 1;"

// maxProbeBytes bounds the text that Statements has DuckDB parse in all (about 2 s of parsing, at the 30 MB/s
// that BenchmarkStatements gives for a long string): the usual text takes twice its length, a text with
// semicolons inside strings more (see nextEnd).
var maxProbeBytes = 64 << 20 // a variable for tests

// spaces are the blanks a statement is trimmed of: those of DuckDB's scanner, and \v.
const spaces = " \t\n\r\f\v"

// ErrStatementText is the error of a query text that DuckDB's parser cannot be asked about: one holding a NUL byte
// (the C API reads text up to the first NUL, so DuckDB would parse less than was given) or too costly to split.
var ErrStatementText = errors.New("query text")

// Statements returns the statements of q in order, each the text that DuckDB's parser reads as one statement
// (blanks before it left out; the semicolon that ends it kept), and none of the text DuckDB finds no statement in
// (empty statements, comments). Text that DuckDB cannot parse is an *SQLError with DuckDB's message, and nothing
// of it is returned: a text runs only if DuckDB can parse all of it.
func Statements(q string) ([]string, error) {
	if strings.IndexByte(q, 0) >= 0 {
		return nil, fmt.Errorf("%w: it holds a NUL byte", ErrStatementText)
	}
	if !utf8.ValidString(q) {
		// DuckDB refuses it too ("Invalid UTF-8 in query"); said here without its echo of the bytes.
		return nil, &SQLError{Msg: "Parser Error: the query text is not valid UTF-8"}
	}
	n, msg, err := extract(q)
	if err != nil {
		return nil, err
	}
	if msg != "" {
		return nil, &SQLError{Msg: oneLine(msg)}
	}
	if n == 0 {
		return nil, nil
	}
	var semis []int
	for i := 0; i < len(q); i++ {
		if q[i] == ';' {
			semis = append(semis, i)
		}
	}
	ends, err := ends(q, n, semis)
	if err != nil {
		return nil, err
	}
	var out []string
	start, total := 0, 0
	add := func(end int) error {
		// Blanks before a statement are left out; after its last one too, but not from the text after the last
		// semicolon, which DuckDB's scanner reads differently at the end of the text ("SELECT 0e0e" fails,
		// "SELECT 0e0e " parses).
		s := strings.TrimLeft(q[start:end], spaces)
		if strings.TrimRight(s, spaces) == "" || s == ";" {
			return nil
		}
		m, msg, err := extract(s)
		if err != nil {
			return err
		}
		switch {
		case msg != "":
			return fmt.Errorf("%w: DuckDB parses %q alone differently than in the whole text (%s)", ErrStatementText, s, oneLine(msg))
		case m > 1:
			return fmt.Errorf("%w: DuckDB reads %q as %d statements", ErrStatementText, s, m)
		case m == 1:
			out = append(out, s)
			total++
		}
		return nil
	}
	for _, e := range ends {
		if err := add(e + 1); err != nil {
			return nil, err
		}
		start = e + 1
	}
	if err := add(len(q)); err != nil {
		return nil, err
	}
	if total != n {
		// Never expected; refused rather than run statements that are not DuckDB's.
		return nil, fmt.Errorf("%w: DuckDB finds %d statements, but %d between the semicolons that end them", ErrStatementText, n, total)
	}
	return out, nil
}

// Statements returns the statements of q as the package function Statements does, a parser error as an *SQLError
// that lists the engine's tables (as Query's errors do).
func (e *Engine) Statements(ctx context.Context, q string) ([]string, error) {
	stmts, err := Statements(q)
	if se := (*SQLError)(nil); errors.As(err, &se) {
		return nil, e.explain(ctx, err)
	}
	return stmts, err
}

// ends returns the semicolons of q (at semis, in order) that end a statement for DuckDB's parser, which finds n
// statements in q (see above).
func ends(q string, n int, semis []int) ([]int, error) {
	budget := maxProbeBytes
	// parse returns the statements DuckDB finds in t with the probe after its semicolons at probed (indexes in t),
	// and false when that text does not parse.
	parse := func(t string, probed []int) (int, bool, error) {
		var b strings.Builder
		prev := 0
		for _, i := range probed {
			b.WriteString(t[prev : i+1])
			b.WriteString(probe)
			prev = i + 1
		}
		b.WriteString(t[prev:])
		if budget -= b.Len(); budget < 0 {
			return 0, false, fmt.Errorf("%w: too many semicolons inside strings or comments to find the statements", ErrStatementText)
		}
		m, msg, err := extract(b.String())
		return m, msg == "", err
	}
	// The probe after every semicolon: all of them end a statement (the usual text), or none does.
	m, ok, err := parse(q, semis)
	if err != nil {
		return nil, err
	}
	want := -1 // how many end a statement, when the probes tell
	if ok {
		if want = m - n; want < 0 || want > len(semis) {
			return nil, fmt.Errorf("%w: DuckDB finds %d statements with %d probes inserted, %d without", ErrStatementText, m, len(semis), n)
		}
		switch want {
		case 0:
			return nil, nil
		case len(semis):
			return semis, nil
		}
	}
	// Otherwise the next statement's end is looked for in the text from the end of the last one found (start),
	// which holds whole statements.
	var out []int
	start := 0
	for len(semis) > 0 && len(out) != want { // once all are found, the rest are inside quotes or comments
		next, err := nextEnd(q[start:], semis, start, parse)
		if err != nil {
			return nil, err
		}
		if next < 0 {
			break
		}
		out = append(out, semis[next])
		start = semis[next] + 1
		semis = semis[next+1:]
	}
	return out, nil
}

// sequentialTries is how many semicolons of a statement nextEnd tries one at a time before it searches.
var sequentialTries = 64 // a variable for tests

// nextEnd returns the index in semis (semicolons of the text, each at least at off) of the first one that ends a
// statement of t = text[off:], which holds whole statements, or -1. It tries the first few one at a time: the
// text to a semicolon that ends a statement parses and takes the probe, while inside a quote or a block comment
// it does not parse, and inside a line comment it holds the probe. Past them (a statement with many semicolons
// inside strings) it searches: with the probe after each of the first h semicolons, t has more statements as
// soon as h reaches the first that ends one.
func nextEnd(t string, semis []int, off int, parse func(string, []int) (int, bool, error)) (int, error) {
	tryOne := func(i int) (bool, error) {
		at := semis[i] - off
		m, ok, err := parse(t[:at+1], nil)
		if err != nil || !ok {
			return false, err
		}
		m2, ok, err := parse(t[:at+1], []int{at})
		return ok && m2 == m+1, err
	}
	i := 0
	for ; i < len(semis) && i < sequentialTries; i++ {
		if ok, err := tryOne(i); ok || err != nil {
			return i, err
		}
	}
	if i == len(semis) {
		return -1, nil
	}
	local := make([]int, len(semis))
	for j, s := range semis {
		local[j] = s - off
	}
	base, ok, err := parse(t, nil)
	if err != nil {
		return -1, err
	}
	more := func(h int) (bool, bool, error) { // whether one of local[:h] ends a statement; false if t does not parse
		m, ok, err := parse(t, local[:h])
		return m > base, ok, err
	}
	found, ok2, err := more(len(local))
	if err != nil {
		return -1, err
	}
	if ok && ok2 {
		if !found {
			return -1, nil
		}
		lo, hi := i, len(local) // none of local[:lo] ends a statement, one of local[:hi] does
		for ok && hi-lo > 1 {
			mid := (lo + hi) / 2
			if found, ok, err = more(mid); err != nil {
				return -1, err
			} else if found {
				hi = mid
			} else {
				lo = mid
			}
		}
		if ok {
			return hi - 1, nil
		}
	}
	// A probe that breaks the text (none is known): one at a time.
	for ; i < len(semis); i++ {
		if ok, err := tryOne(i); ok || err != nil {
			return i, err
		}
	}
	return -1, nil
}

// Complete reports whether q, less trailing blanks, ends with a semicolon that ends a statement for DuckDB's
// parser: the SQL prompt runs what it has read once it is complete. A semicolon inside a string, a quoted
// identifier, a dollar-quoted string or a comment (a line comment goes on to the end of the line) ends nothing,
// so the prompt reads on. Text that DuckDB cannot parse is complete unless its error is an unterminated quote or
// comment, so that the prompt shows the error rather than wait; a syntax error that DuckDB finds before an
// unterminated quote is reported first, so a broken statement may run before its string ends.
func Complete(q string) bool {
	t := strings.TrimRight(q, spaces)
	if !strings.HasSuffix(t, ";") || strings.IndexByte(t, 0) >= 0 || !utf8.ValidString(t) {
		return strings.HasSuffix(t, ";") // text DuckDB is not asked about: Statements reports it
	}
	n, msg, err := extract(t)
	if err != nil {
		return true // Statements reports it
	}
	if msg != "" {
		return !unterminated(t, msg)
	}
	m, msg, err := extract(t + probe)
	if err != nil || msg != "" {
		return true // not expected (t parses, and ends with a semicolon): run it, so that DuckDB says what it finds
	}
	return m == n+1
}

// unterminated reports whether DuckDB's parser error msg for the text t says that t ends inside a quote or a
// comment. DuckDB reports an unterminated dollar-quoted string as a syntax error at or near the rest of the text
// from its opening dollar quote (a dollar-quoted string that ends, $$a$$;, ends with a '$', not with the rest).
func unterminated(t, msg string) bool {
	if strings.Contains(msg, "unterminated") {
		return true
	}
	for i := strings.IndexByte(t, '$'); i >= 0; {
		if strings.Contains(msg, `at or near "`+t[i:]+`"`) {
			return true
		}
		j := strings.IndexByte(t[i+1:], '$')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// parser is a DuckDB connection used only to parse text (duckdb_extract_statements): an in-memory database
// with external access off, in which nothing is ever executed.
var parser struct {
	once sync.Once
	mu   sync.Mutex
	db   mapping.Database
	conn mapping.Connection
	err  error
}

// extract returns how many statements DuckDB's parser finds in q, or its error message (msg) for text it cannot
// parse; err is a failure to start the parser.
func extract(q string) (n int, msg string, err error) {
	parser.once.Do(func() {
		var cfg mapping.Config
		if mapping.CreateConfig(&cfg) == mapping.StateError {
			parser.err = errors.New("create duckdb config")
			return
		}
		defer mapping.DestroyConfig(&cfg)
		for k, v := range map[string]string{"enable_external_access": "false", "autoload_known_extensions": "false", "autoinstall_known_extensions": "false"} {
			if mapping.SetConfig(cfg, k, v) == mapping.StateError {
				parser.err = fmt.Errorf("configure duckdb parser (%s)", k)
				return
			}
		}
		var msg string
		if mapping.OpenExt(":memory:", &parser.db, cfg, &msg) == mapping.StateError {
			parser.err = fmt.Errorf("open duckdb parser: %s", msg)
			return
		}
		if mapping.Connect(parser.db, &parser.conn) == mapping.StateError {
			parser.err = errors.New("connect duckdb parser")
		}
	})
	if parser.err != nil {
		return 0, "", parser.err
	}
	parser.mu.Lock()
	defer parser.mu.Unlock()
	var stmts mapping.ExtractedStatements
	c := mapping.ExtractStatements(parser.conn, q, &stmts)
	defer mapping.DestroyExtracted(&stmts)
	if c == 0 {
		if msg := mapping.ExtractStatementsError(stmts); msg != "" {
			return 0, msg, nil
		}
	}
	return int(c), "", nil
}

// CountStatements returns how many statements DuckDB's own parser finds in q, or its error for text it cannot
// parse (a DuckDB error, as the statement would give).
func CountStatements(q string) (int, error) {
	n, msg, err := extract(q)
	if err != nil {
		return 0, err
	}
	if msg != "" {
		return 0, &SQLError{Msg: oneLine(msg)}
	}
	return n, nil
}
