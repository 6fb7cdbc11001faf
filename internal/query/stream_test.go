package query

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func openMemory(t *testing.T) *Engine {
	t.Helper()
	e, err := Open(context.Background(), Options{MemoryLimit: "200MB", TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestStreamingAvailable checks that queries stream: the unexported parts of duckdb-go that stream.go uses have
// the shape it expects (a duckdb-go upgrade that changes them fails here rather than silently materialising).
func TestStreamingAvailable(t *testing.T) {
	e := openMemory(t)
	r, err := e.Query(context.Background(), "SELECT 1 AS a")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := r.rows.(*streamRows); !ok {
		t.Fatalf("rows read through %T, not a streaming result: see stream.go", r.rows)
	}
}

// TestStreamFirstRows reads the first rows of a result of 10^12 rows: materialised, it would take hours and
// terabytes; streamed, the first chunk comes at once. Closing the result early stops the query.
func TestStreamFirstRows(t *testing.T) {
	e := openMemory(t)
	ctx := context.Background()
	start := time.Now()
	r, err := e.Query(ctx, "SELECT range AS n, repeat('x', 100) AS pad FROM range(1000000000000)")
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 5000; i++ {
		if !r.Next() {
			t.Fatalf("row %d: end (err %v)", i, r.Err())
		}
		if n, ok := toInt(r.Values()[0]); !ok || n != i {
			t.Fatalf("row %d: n = %v", i, r.Values()[0])
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Fatalf("first rows took %v", d)
	}
	// The connection is usable after a stream closed early.
	r, err = e.Query(ctx, "SELECT 42 AS x")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() || r.Values()[0] != int32(42) {
		t.Fatalf("after an early close: %v, err %v", r.Values(), r.Err())
	}
	r.Close()
}

// TestStreamErrors checks that an error DuckDB meets while it streams (after rows were read) ends the rows with
// that error, not as a complete result, and that a cancelled context interrupts a streaming query.
func TestStreamErrors(t *testing.T) {
	e := openMemory(t)
	r, err := e.Query(context.Background(), "SELECT CASE WHEN range = 100000 THEN error('boom at 100000') ELSE range END AS n FROM range(200000)")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.Next() {
		n++
	}
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "boom at 100000") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("after %d rows: err %v, want the query's error on one line", n, err)
	}
	if n >= 100000 {
		t.Fatalf("%d rows before the error at row 100000", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	r, err = e.Query(ctx, "SELECT count(*) FROM range(1000000000000) a")
	if err == nil {
		time.AfterFunc(200*time.Millisecond, cancel)
		done := make(chan bool, 1)
		go func() { done <- r.Next() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the query went on 30 s after the cancellation")
		}
		err = r.Err()
		r.Close()
	}
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// TestWriteTextRows checks the rows the table and Markdown formats write: on a terminal (All false) the held rows
// and a count of the others; to a file or a pipe (All) every row, the later ones with the held rows' widths. The
// expected texts are written out by hand.
func TestWriteTextRows(t *testing.T) {
	e := openMemory(t)
	const q = "SELECT range AS n, repeat('x', range::INTEGER) AS s FROM range(1, 5)"
	tests := []struct {
		name string
		f    Format
		opts WriteOptions
		want string
	}{
		{"table, terminal, all held", Table, WriteOptions{MaxRows: 10},
			"n  s\n-  ----\n1  x\n2  xx\n3  xxx\n4  xxxx\n(4 rows)\n"},
		{"table, terminal, 2 held", Table, WriteOptions{MaxRows: 2},
			"n  s\n-  --\n1  x\n2  xx\n(2 more rows not shown: 2 rows are shown at most (--max-rows); use --format csv or jsonl, or -o FILE, for all)\n(4 rows)\n"},
		{"table, pipe, 2 held", Table, WriteOptions{MaxRows: 2, All: true},
			"n  s\n-  --\n1  x\n2  xx\n3  xxx\n4  xxxx\n(4 rows)\n"},
		{"markdown, pipe, 1 held", Markdown, WriteOptions{MaxRows: 1, All: true},
			"|   n | s   |\n| --: | --- |\n|   1 | x   |\n|   2 | xx  |\n|   3 | xxx |\n|   4 | xxxx |\n"},
		{"table, cell width", Table, WriteOptions{MaxRows: 10, MaxWidth: 3},
			"n  s\n-  ---\n1  x\n2  xx\n3  xxx\n4  xx…\n(4 rows)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := e.Query(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := Write(r, tt.f, &b, tt.opts); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}
