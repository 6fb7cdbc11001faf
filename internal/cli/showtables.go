package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// showTables are the protocol tables whose view of a frame show prints, and the columns that hold the frames a
// row comes from.
var showTables = []struct {
	name   string
	frames []string
}{
	{"dns", []string{"query_frame", "response_frame"}},
	{"tls", []string{"client_hello_frame", "server_hello_frame"}},
}

// maxShowRows caps the rows of each table that show prints for one frame.
const maxShowRows = 8

// frameRows is an io.Writer of a table's JSON Lines that keeps the rows (at most maxShowRows) whose frame
// columns name frame; the others are dropped as they come, so memory stays small whatever the capture.
type frameRows struct {
	frame   int64
	columns []string
	partial []byte
	rows    []map[string]json.RawMessage
}

func (f *frameRows) Write(p []byte) (int, error) {
	f.partial = append(f.partial, p...)
	for {
		i := bytes.IndexByte(f.partial, '\n')
		if i < 0 {
			break
		}
		line := f.partial[:i]
		if len(f.rows) < maxShowRows {
			var row map[string]json.RawMessage
			if err := json.Unmarshal(line, &row); err == nil {
				for _, c := range f.columns {
					var n int64
					if json.Unmarshal(row[c], &n) == nil && n == f.frame {
						f.rows = append(f.rows, row)
						break
					}
				}
			}
		}
		f.partial = append(f.partial[:0], f.partial[i+1:]...)
	}
	return len(p), nil
}

// writeTableViews runs the protocol analyzers over the capture and writes the rows of their tables (dns, tls)
// that come from frame: the DNS transaction it asks or answers, the TLS handshake whose hello it holds. The
// whole capture is read, since a row is complete only when its conversation ends.
func writeTableViews(ctx context.Context, w *strings.Builder, input string, frame int64) error {
	var outs []tables.Output
	var views []*frameRows
	var names []string
	for _, st := range showTables {
		def := tables.Lookup(st.name)
		if def == nil {
			continue
		}
		fr := &frameRows{frame: frame, columns: st.frames}
		tw, err := def.NewWriter([]string{"all"}, sink.JSONL, fr, "", sink.Options{})
		if err != nil {
			return err
		}
		outs = append(outs, tables.Output{Def: def, Writer: tw})
		views = append(views, fr)
		names = append(names, st.name)
	}
	_, runErr := tables.Run(ctx, []string{input}, outs, tables.Options{})
	for _, o := range outs {
		_ = o.Writer.Close()
	}
	if runErr != nil && !isFatalInput(runErr) {
		runErr = nil // damage after the frame: the rows read are still right
	}
	for i, fr := range views {
		def := tables.Lookup(names[i])
		for _, row := range fr.rows {
			section(w, names[i]+" table")
			for _, c := range def.Info.Names() {
				raw, ok := row[c]
				if !ok || string(raw) == "null" {
					continue
				}
				var s string
				if json.Unmarshal(raw, &s) != nil {
					s = string(raw) // numbers, booleans, lists as JSON
				}
				field(w, c, s)
			}
		}
	}
	if runErr != nil {
		return fmt.Errorf("protocol tables: %w", runErr)
	}
	return nil
}
