package sniff

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// TablePath returns the file CreateTables writes the table called name to: dir/NAME.FORMAT.
func TablePath(dir, name string, format sink.Format) string {
	return filepath.Join(dir, name+"."+string(format))
}

// CreateTables opens the tables called names (tables.Select: the names of tables.Names, or "all") for
// Options.Tables, one file per table in the directory dir (created if needed) at TablePath, as `pcapframe
// convert --tables` writes them: the packets table in its default selection of columns, every other table
// whole; format "" means Parquet. Each file is written atomically (sink.Create): it appears when Run publishes
// it.
func CreateTables(dir string, names []string, format sink.Format) ([]tables.Output, error) {
	if format == "" {
		format = sink.Parquet
	}
	defs, err := tables.Select(names)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("create %q: %w", dir, err)
	}
	var outs []tables.Output
	for _, d := range defs {
		cols := []string{"all"}
		if d == tables.Packets {
			cols = nil
		}
		w, err := d.NewWriter(cols, format, nil, TablePath(dir, d.Name(), format), sink.Options{})
		if err != nil {
			abort(outs)
			return nil, err
		}
		outs = append(outs, tables.Output{Def: d, Writer: w})
	}
	return outs, nil
}
