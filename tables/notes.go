package tables

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"github.com/pcapframe/pcapframe/schema"
)

// NoteCount is how many notes of one kind the rows of one table carried, as Zeek's weird.log counts weirds: the
// note column of a table (packets, dns, tls, ...) joins a row's notes with "; ", and each note counts once per
// row under its kind (NoteKind).
type NoteCount struct {
	Table string // the table's name
	Kind  string // the note with its variable parts replaced (NoteKind)
	Rows  int64  // rows that carried a note of this kind
}

// maxNoteKinds caps the distinct kinds counted per table; later kinds are counted under otherNotes.
const maxNoteKinds = 256

// otherNotes is the kind under which notes past maxNoteKinds distinct kinds of a table are counted.
const otherNotes = "(other notes)"

// maxNoteKindLen caps the length of a kind; a longer note is cut and ends in "...".
const maxNoteKindLen = 160

// NoteKind returns the kind of one note: the note's text with what varies from row to row replaced, so that notes
// that say the same thing count together. Runs of digits that do not continue a word (64, 0x1f, but not the 6 of
// ipv6) become N, hexadecimal digits after 0x become N, what is between parentheses or double quotes (bytes,
// names, values from the capture) becomes "...", and the kind is cut at 160 bytes. For example
// "invalid tls record header (4758ccacfa) in the server's stream" is of the kind
// "invalid tls record header (...) in the server's stream", and "handshake message type 144 of 6432645 bytes"
// of the kind "handshake message type N of N bytes".
func NoteKind(note string) string { return string(appendNoteKind(nil, note)) }

func appendNoteKind(dst []byte, note string) []byte {
	start := len(dst)
	isWord := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isHex := func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
	for i := 0; i < len(note); {
		c := note[i]
		switch {
		case c == '(' || c == '"':
			end := byte(')')
			if c == '"' {
				end = '"'
			}
			if j := strings.IndexByte(note[i+1:], end); j < 0 {
				dst = append(dst, c, '.', '.', '.')
				i = len(note) // the length check below still runs
			} else {
				dst = append(dst, c, '.', '.', '.', end)
				i += j + 2
			}
		case c == '0' && i+2 < len(note) && (note[i+1] == 'x' || note[i+1] == 'X') && isHex(note[i+2]) && (i == 0 || !isWord(note[i-1]) && !isDigit(note[i-1])):
			dst = append(dst, '0', 'x', 'N')
			i += 2
			for i < len(note) && isHex(note[i]) {
				i++
			}
		case isDigit(c) && (i == 0 || !isWord(note[i-1]) && !isDigit(note[i-1])):
			dst = append(dst, 'N')
			for i < len(note) && (isDigit(note[i]) || note[i] == '.' && i+1 < len(note) && isDigit(note[i+1])) {
				i++
			}
		default:
			dst = append(dst, c)
			i++
		}
		if len(dst)-start > maxNoteKindLen {
			dst = append(dst[:start+maxNoteKindLen-3], "..."...)
			break
		}
	}
	return dst
}

// noteCounter counts the notes of one table's rows.
type noteCounter struct {
	kinds   map[string]int64
	scratch []byte
	kind    []byte
}

// count counts the notes of one row: note is the row's note column (notes joined by "; ").
func (c *noteCounter) count(note []byte) {
	for len(note) > 0 {
		part := note
		if i := bytes.Index(note, []byte("; ")); i >= 0 {
			part, note = note[:i], note[i+2:]
		} else {
			note = nil
		}
		if len(part) == 0 {
			continue
		}
		c.kind = appendNoteKind(c.kind[:0], string(part))
		if _, ok := c.kinds[string(c.kind)]; !ok && len(c.kinds) >= maxNoteKinds {
			c.kinds[otherNotes]++
			continue
		}
		c.kinds[string(c.kind)]++
	}
}

// noteSource reads the note column of rows of type R into a counter.
type noteSource[R any] struct {
	col *schema.Column[R]
	c   *noteCounter
}

// newNoteSource returns the note counting of table t, or nil when the table has no String column "note".
func newNoteSource[R any](t *schema.Table[R], c *noteCounter) *noteSource[R] {
	col := t.Column("note")
	if col == nil || col.Type != schema.String || col.Append == nil || c == nil {
		return nil
	}
	return &noteSource[R]{col: col, c: c}
}

func (s *noteSource[R]) row(r *R) {
	b, ok := s.col.Append(r, s.c.scratch[:0])
	s.c.scratch = b[:0]
	if ok && len(b) > 0 {
		s.c.count(b)
	}
}

// notes gathers the counters of a pass, one per table.
type notes struct {
	order  []string
	tables map[string]*noteCounter
}

// counter returns the counter of the table called name (one per table and pass).
func (n *notes) counter(name string) *noteCounter {
	if n == nil {
		return nil
	}
	c := n.tables[name]
	if c == nil {
		c = &noteCounter{kinds: map[string]int64{}}
		n.tables[name] = c
		n.order = append(n.order, name)
	}
	return c
}

// counts returns the counts in table order, then by count (most first) and kind.
func (n *notes) counts() []NoteCount {
	var out []NoteCount
	for _, name := range n.order {
		start := len(out)
		for k, v := range n.tables[name].kinds {
			out = append(out, NoteCount{Table: name, Kind: k, Rows: v})
		}
		slices.SortFunc(out[start:], func(a, b NoteCount) int {
			if a.Rows != b.Rows {
				return cmp.Compare(b.Rows, a.Rows)
			}
			return strings.Compare(a.Kind, b.Kind)
		})
	}
	return out
}
