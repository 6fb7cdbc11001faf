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
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "boom at 100000") {
		t.Fatalf("after %d rows: err %v, want the query's error", n, err)
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
