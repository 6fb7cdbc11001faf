package query

import "strings"

// SplitStatements splits q into its SQL statements at the semicolons that end them, as DuckDB's parser does
// (its scanner is PostgreSQL's): a semicolon inside a string ('...', E'...' with backslash escapes), a quoted
// identifier ("..." or, since DuckDB 2.0, `...`), a dollar-quoted string ($$...$$, $tag$...$tag$), a line comment (-- ...) or a block
// comment (/* ... */, which nest) does not end a statement. Numbers, parameters ($1, ?1) and identifiers are read
// whole, as DuckDB's scanner (third_party/libpg_query/scan.l) reads them, so that what starts a string or a
// dollar quote is told as there (a$E'..' is no escape string, 1$$..$$ is a dollar quote, an escape string goes
// on after a line break). Each statement is returned without its semicolon
// and trimmed; statements that hold nothing but blanks and comments are left out. Text after an unterminated
// quote or comment belongs to the last statement, so DuckDB reports the error.
func SplitStatements(q string) []string {
	var out []string
	start := 0
	add := func(end int) {
		if s := strings.Trim(q[start:end], spaces); !blank(s) {
			out = append(out, s)
		}
	}
	scan(q, func(semi int) {
		add(semi)
		start = semi + 1
	})
	add(len(q))
	return out
}

// Complete reports whether q ends a statement: its last statement ends with a semicolon that no quote or comment
// holds, and only blanks and comments follow it. The SQL prompt runs what it has read once it is complete.
func Complete(q string) bool {
	last := -1
	open := scan(q, func(semi int) { last = semi })
	return !open && last >= 0 && blank(q[last+1:])
}

// scan calls semi with the index of each semicolon of q that ends a statement, and reports whether q ends inside
// a quote or a block comment.
func scan(q string, semi func(int)) (open bool) {
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == ';':
			semi(i)
			i++
		case c == '\'':
			i, open = skipQuoted(q, i, '\'', false)
		case c == '"':
			i, open = skipQuoted(q, i, '"', false)
		case c == '`':
			// DuckDB 2.0 reads `...` as a quoted identifier too (a doubled backtick stands for one).
			i, open = skipQuoted(q, i, '`', false)
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			i = skipLine(q, i)
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			i, open = skipComment(q, i)
		case c == '$': // never inside an identifier, which the word case below reads whole
			i, open = skipDollar(q, i)
		case c == '?':
			i = skipDigits(q, i+1) // a parameter ?1: its digits are no number (?1e0 is ?1 and e0)
		case isIdent(c) || c == '.' && i+1 < len(q) && isDigit(q[i+1]):
			// A number, then an identifier, each whole as the scanner reads them: a '$' inside an identifier
			// (a$b) starts no dollar quote, but one right after a number does (1$$...$$; 1a$$ is 1 and a$$).
			j := i
			if isDigit(c) || c == '.' {
				j = skipNumber(q, i)
			}
			k := j
			if k < len(q) && isIdent(q[k]) {
				for k < len(q) && (isIdent(q[k]) || q[k] == '$') {
					k++
				}
			}
			if k < len(q) && q[k] == '\'' && (q[j:k] == "e" || q[j:k] == "E") {
				// E'...' (also right after a number: 1E'...'): a backslash escapes the next byte.
				i, open = skipQuoted(q, k, '\'', true)
			} else {
				i = k
			}
		default:
			i++
		}
	}
	return open
}

// spaces are the blanks a statement is trimmed of: those of DuckDB's scanner, and \v. Not other Unicode spaces:
// DuckDB reads U+00A0 as part of an identifier (SELECT x<U+00A0> names a column), replacing Unicode spaces by
// blanks only to parse again text it cannot parse.
const spaces = " \t\n\r\f\v"

// blank reports whether s holds only blanks and comments.
func blank(s string) bool {
	for i := 0; i < len(s); {
		switch {
		case strings.IndexByte(spaces, s[i]) >= 0:
			i++
		case strings.HasPrefix(s[i:], "--"):
			i = skipLine(s, i)
		case strings.HasPrefix(s[i:], "/*"):
			end, open := skipComment(s, i)
			if open {
				return false // unterminated: DuckDB reports it
			}
			i = end
		default:
			return false
		}
	}
	return true
}

// skipNumber returns the index after the number that starts at q[i] (a digit, or a point before one) as DuckDB's
// scanner reads it: digits, which single underscores may group (1_000), a decimal point and digits (1., 1.5, .5;
// but 1..2 is 1, .. and 2), and an exponent (e5, E-5; 1e alone is 1 then e). There are no hexadecimal numbers: 0x1F
// is 0 then the identifier x1F.
func skipNumber(q string, i int) int {
	i = skipDigits(q, i)
	if i < len(q) && q[i] == '.' && (i+1 >= len(q) || q[i+1] != '.') {
		i = skipDigits(q, i+1)
	}
	if i+1 < len(q) && (q[i] == 'e' || q[i] == 'E') {
		j := i + 1
		if q[j] == '+' || q[j] == '-' {
			j++
		}
		if j < len(q) && isDigit(q[j]) {
			i = skipDigits(q, j)
		}
	}
	return i
}

// skipDigits returns the index after the digits that start at q[i], grouped by single underscores.
func skipDigits(q string, i int) int {
	start := i
	for i < len(q) && (isDigit(q[i]) || q[i] == '_' && i > start && i+1 < len(q) && isDigit(q[i+1])) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// skipQuoted returns the index after the quoted text that starts at q[i] (the quote), where a doubled quote
// stands for one and, with backslash, a backslash escapes the next byte; open when q ends before the quote does.
// An escape string goes on in the next quote after blanks that hold a line break ('a'<newline>'b' is 'ab'); since
// DuckDB 2.0 that continuation takes no backslash escapes.
func skipQuoted(q string, i int, quote byte, backslash bool) (int, bool) {
	for i++; i < len(q); i++ {
		switch q[i] {
		case '\\':
			if backslash {
				i++
			}
		case quote:
			if i+1 < len(q) && q[i+1] == quote {
				i++
				continue
			}
			if backslash {
				if next := continued(q, i+1); next >= 0 {
					i = next
					backslash = false
					continue
				}
			}
			return i + 1, false
		}
	}
	return len(q), true
}

// continued returns the index of the quote that continues a string whose closing quote is at q[i-1], or -1: as in
// DuckDB's scanner, blanks and line comments that hold at least one line break lie between them.
func continued(q string, i int) int {
	newline := false
	for i < len(q) {
		switch c := q[i]; {
		case c == ' ' || c == '\t' || c == '\f':
			i++
		case c == '\n' || c == '\r':
			newline = true
			i++
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			n := strings.IndexAny(q[i:], "\n\r")
			if n < 0 {
				return -1
			}
			i += n
		case c == '\'' && newline:
			return i
		default:
			return -1
		}
	}
	return -1
}

// skipLine returns the index after the line comment that starts at q[i]. As in PostgreSQL's scanner, which
// DuckDB's parser uses, either '\n' or '\r' ends it.
func skipLine(q string, i int) int {
	if n := strings.IndexAny(q[i:], "\n\r"); n >= 0 {
		return i + n + 1
	}
	return len(q)
}

// skipComment returns the index after the block comment that starts at q[i] (block comments nest); open when q
// ends before the comment does.
func skipComment(q string, i int) (int, bool) {
	depth := 0
	for i < len(q) {
		switch {
		case strings.HasPrefix(q[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(q[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i, false
			}
		default:
			i++
		}
	}
	return len(q), true
}

// skipDollar returns the index after the dollar-quoted string that starts at q[i] ($$...$$ or $tag$...$tag$,
// the tag a letter or underscore then letters, digits or underscores), or right after the '$' when none starts
// there (a parameter such as $1 or $name); open when q ends before the string does.
func skipDollar(q string, i int) (int, bool) {
	j := i + 1
	if j < len(q) && isIdent(q[j]) && !isDigit(q[j]) {
		for j < len(q) && isIdent(q[j]) {
			j++
		}
	}
	if j >= len(q) || q[j] != '$' {
		// Not a dollar quote: as DuckDB's scanner, go on right after the '$' ($E'...' is '$' and an escape
		// string), or after the digits of a parameter ($1e0 is $1 and the identifier e0).
		return skipDigits(q, i+1), false
	}
	delim := q[i : j+1]
	if n := strings.Index(q[j+1:], delim); n >= 0 {
		return j + 1 + n + len(delim), false
	}
	return len(q), true
}
