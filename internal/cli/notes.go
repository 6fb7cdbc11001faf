package cli

import (
	"fmt"
	"strings"

	"github.com/pcapframe/pcapframe/tables"
)

// maxNoteKindsShown is how many kinds of notes per table the summary line names.
const maxNoteKindsShown = 3

// notesSummary returns the one line that tells what a run found wrong in the capture, from the pass's note counts
// (tables.Stats.Notes, counted as Zeek's weird.log counts weirds): per table, the rows' notes in all, then the most
// frequent kinds, e.g.
//
//	notes: tls 4 (handshake not completed 3, gap in the server's stream before the handshake completed 1), dns 1 (query: truncated header 1)
//
// It returns "" when no row carried a note. The kinds are sanitised for the terminal.
func notesSummary(counts []tables.NoteCount) string {
	if len(counts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("notes:")
	for i := 0; i < len(counts); {
		j := i
		var total int64
		for j < len(counts) && counts[j].Table == counts[i].Table {
			total += counts[j].Rows
			j++
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s %d (", Sanitize(counts[i].Table), total)
		for k := i; k < j && k < i+maxNoteKindsShown; k++ {
			if k > i {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %d", Sanitize(counts[k].Kind), counts[k].Rows)
		}
		if j-i > maxNoteKindsShown {
			fmt.Fprintf(&b, ", %d more kinds", j-i-maxNoteKindsShown)
		}
		b.WriteByte(')')
		i = j
	}
	return b.String()
}
