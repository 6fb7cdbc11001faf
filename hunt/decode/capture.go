package decode

import (
	"context"
	"fmt"

	"github.com/pcapframe/pcapframe/analyzer/dns"
	"github.com/pcapframe/pcapframe/tables"
)

// queryWriter keeps the queries of the dns table's rows.
type queryWriter struct {
	qs  *[]Query
	err error
}

func (w queryWriter) Write(rows any) error {
	rs, ok := rows.([]dns.Row)
	if !ok {
		return fmt.Errorf("dns rows: got %T", rows)
	}
	for i := range rs {
		r := &rs[i]
		if !r.HasQuestion || r.QueryFrame == 0 {
			continue
		}
		if len(*w.qs) >= MaxQueries {
			return fmt.Errorf("more than %d queries", MaxQueries)
		}
		*w.qs = append(*w.qs, Query{TS: r.QueryTime, Frame: r.QueryFrame, Client: r.OrigH.String(), Server: r.RespH.String(),
			QType: r.QType, Name: r.Query})
	}
	return nil
}
func (queryWriter) Close() error { return nil }
func (queryWriter) Abort() error { return nil }

// ReadQueries reads the DNS queries of the captures (the dns table's rows that have a query), in the order the
// table gives them. A damaged input's error is returned with the queries read before the damage.
func ReadQueries(ctx context.Context, inputs []string) ([]Query, error) {
	def := tables.Lookup(dns.Table.Name)
	if def == nil {
		return nil, fmt.Errorf("no dns table")
	}
	var qs []Query
	_, err := tables.Run(ctx, inputs, []tables.Output{{Def: def, Writer: queryWriter{qs: &qs}}}, tables.Options{})
	return qs, err
}
