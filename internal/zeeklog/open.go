package zeeklog

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/pcapframe/pcapframe/tables"
)

// Open opens the writers of every log into the directory dir (which must exist), as outputs of one pass of
// package tables: one output per table read, its writer feeding every log of that table. The caller runs the
// pass, then closes each output's writer (or aborts it); a log with no rows leaves no file.
func Open(dir string, format Format) ([]tables.Output, error) {
	var outs []tables.Output
	byTable := map[*tables.Def]*fanout{}
	for _, l := range logs {
		d := tables.Lookup(l.TableName())
		if d == nil {
			abortAll(outs)
			return nil, fmt.Errorf("zeek log %s: no table %q in the table list", l.Name(), l.TableName())
		}
		w, err := l.NewWriter(format, filepath.Join(dir, l.Name()+".log"))
		if err != nil {
			abortAll(outs)
			return nil, err
		}
		if f := byTable[d]; f != nil {
			f.ws = append(f.ws, w)
			continue
		}
		f := &fanout{ws: []Writer{w}}
		byTable[d] = f
		outs = append(outs, tables.Output{Def: d, Writer: f})
	}
	return outs, nil
}

func abortAll(outs []tables.Output) {
	for _, o := range outs {
		_ = o.Writer.Abort()
	}
}

// fanout gives the rows of one table to every log that reads it.
type fanout struct{ ws []Writer }

func (f *fanout) Write(rows any) error {
	for _, w := range f.ws {
		if err := w.Write(rows); err != nil {
			return err
		}
	}
	return nil
}

func (f *fanout) Close() error {
	var errs []error
	for _, w := range f.ws {
		errs = append(errs, w.Close())
	}
	return errors.Join(errs...)
}

func (f *fanout) Abort() error {
	var errs []error
	for _, w := range f.ws {
		errs = append(errs, w.Abort())
	}
	return errors.Join(errs...)
}
