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
// that could end or open one), and the count stays. So with the probe inserted after the semicolons of a set,
// DuckDB extracts as many more statements as the set has semicolons that end a statement, and halving the sets
// (group testing) finds them all: two parses for the usual text, whose semicolons all end statements, about two
// per semicolon at worst. Should a probe make the text fail to parse (none is known: a semicolon that ends a
// statement takes one, and text that holds one takes it as it takes a semicolon), the set is halved, and a
// semicolon whose probe alone fails ends no statement.

// probe is the statement inserted after a semicolon to find whether it ends a statement (see above).
const probe = " SELECT 1;"

// maxProbeBytes bounds the text that Statements has DuckDB parse in all: the usual text takes twice its length, a
// text whose semicolons are mostly inside strings about twice its length per semicolon.
const maxProbeBytes = 256 << 20

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
	f := finder{q: q, n: n, budget: maxProbeBytes}
	if err := f.find(semis, -1); err != nil {
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
	for _, e := range f.ends {
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

// finder finds which semicolons of q end a statement for DuckDB's parser (ends, in order), by group testing
// with the probe (see above).
type finder struct {
	q      string
	n      int // statements DuckDB finds in q
	budget int // bytes DuckDB may still be asked to parse
	ends   []int
}

// count returns how many more statements DuckDB finds in q with the probe inserted after each semicolon of set,
// and false when that text does not parse.
func (f *finder) count(set []int) (int, bool, error) {
	var b strings.Builder
	b.Grow(len(f.q) + len(set)*len(probe))
	prev := 0
	for _, i := range set {
		b.WriteString(f.q[prev : i+1])
		b.WriteString(probe)
		prev = i + 1
	}
	b.WriteString(f.q[prev:])
	if f.budget -= b.Len(); f.budget < 0 {
		return 0, false, fmt.Errorf("%w: too many semicolons inside strings or comments to find the statements", ErrStatementText)
	}
	m, msg, err := extract(b.String())
	if err != nil {
		return 0, false, err
	}
	if msg != "" {
		return 0, false, nil
	}
	if d := m - f.n; d >= 0 && d <= len(set) {
		return d, true, nil
	}
	return 0, false, fmt.Errorf("%w: DuckDB finds %d statements with %d probes inserted, %d without", ErrStatementText, m, len(set), f.n)
}

// find adds to f.ends the semicolons of set (in order) that end a statement; k is how many there are, or -1 if
// not known yet.
func (f *finder) find(set []int, k int) error {
	if len(set) == 0 {
		return nil
	}
	if k < 0 {
		d, ok, err := f.count(set)
		if err != nil {
			return err
		}
		if !ok {
			if len(set) == 1 {
				return nil // a probe held where it breaks the text: inside a quote
			}
			h := len(set) / 2
			if err := f.find(set[:h], -1); err != nil {
				return err
			}
			return f.find(set[h:], -1)
		}
		k = d
	}
	switch k {
	case 0:
		return nil
	case len(set):
		f.ends = append(f.ends, set...)
		return nil
	}
	h := len(set) / 2
	d, ok, err := f.count(set[:h])
	if err != nil {
		return err
	}
	if !ok {
		if err := f.find(set[:h], -1); err != nil {
			return err
		}
		return f.find(set[h:], -1)
	}
	if err := f.find(set[:h], d); err != nil {
		return err
	}
	return f.find(set[h:], k-d)
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
