package query

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
)

// TestResultLists checks that lists of scalars in a query's result are written as lists (JSON arrays), not as
// their text, and that intervals are written as DuckDB prints them rather than as a Go struct.
func TestResultLists(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r, err := e.Query(ctx, `SELECT ['a', 'b,c', '"q"'] AS s, [1, -2, 9007199254740993]::BIGINT[] AS i,
		[1.5, -0.25]::DOUBLE[] AS f, NULL::VARCHAR[] AS n, [[1], [2, 3]] AS nested,
		INTERVAL 90 MINUTE + INTERVAL 1500 MILLISECOND AS d`)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(r, JSONL, &buf, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		S      []string  `json:"s"`
		I      []int64   `json:"i"`
		F      []float64 `json:"f"`
		N      []string  `json:"n"`
		Nested string    `json:"nested"`
		D      string    `json:"d"`
	}
	dec := json.NewDecoder(&buf)
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode %q: %v", buf.String(), err)
	}
	if len(got.S) != 3 || got.S[0] != "a" || got.S[1] != "b,c" || got.S[2] != `"q"` {
		t.Errorf("VARCHAR[] = %q, want [a b,c \"q\"]", got.S)
	}
	if len(got.I) != 3 || got.I[0] != 1 || got.I[1] != -2 || got.I[2] != 9007199254740993 {
		t.Errorf("BIGINT[] = %v, want [1 -2 9007199254740993]", got.I)
	}
	if len(got.F) != 2 || got.F[0] != 1.5 || got.F[1] != -0.25 {
		t.Errorf("DOUBLE[] = %v, want [1.5 -0.25]", got.F)
	}
	if got.N != nil {
		t.Errorf("NULL list = %q, want null", got.N)
	}
	if got.Nested != "[[1], [2, 3]]" {
		t.Errorf("nested list = %q, want its text [[1], [2, 3]]", got.Nested)
	}
	if got.D != "01:30:01.5" {
		t.Errorf("interval = %q, want 01:30:01.5 (as DuckDB prints it)", got.D)
	}
}

// TestFormatInterval checks intervals against DuckDB's own text form of the same values (CAST(... AS VARCHAR)).
func TestFormatInterval(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, expr := range []string{
		"INTERVAL 0 SECOND", "INTERVAL 1 DAY", "INTERVAL 2 DAY", "INTERVAL 14 MONTH", "INTERVAL 1 MONTH",
		"INTERVAL 25 HOUR", "INTERVAL (-3) SECOND", "INTERVAL 1 MICROSECOND", "INTERVAL 123456 MILLISECOND",
		"INTERVAL 1 YEAR + INTERVAL 3 DAY + INTERVAL 4 MINUTE", "INTERVAL (-2) YEAR",
	} {
		r, err := e.Query(ctx, "SELECT "+expr+", CAST("+expr+" AS VARCHAR)")
		if err != nil {
			t.Fatal(err)
		}
		if !r.Next() {
			t.Fatalf("%s: no row: %v", expr, r.Err())
		}
		v := r.Values()
		iv, ok := v[0].(duckdb.Interval)
		if !ok {
			t.Fatalf("%s: value %T, want duckdb.Interval", expr, v[0])
		}
		if got, want := formatInterval(iv), v[1].(string); got != want {
			t.Errorf("%s: formatInterval = %q, DuckDB says %q", expr, got, want)
		}
		r.Close()
	}
}
