package query

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestSession checks that a session sees the engine's tables and macros after Lock, that its queries running at
// the same time as the engine's give the same rows as one after the other, and that closing it leaves the engine
// working.
func TestSession(t *testing.T) {
	ctx := context.Background()
	e := load(t, "seed__find_the_image.pcap")
	queries := []string{
		"SELECT src, count(*), sum(payload) FROM packets GROUP BY src ORDER BY 2 DESC, 1",
		"SELECT proto_name(proto), count(*) FROM packets GROUP BY 1 ORDER BY 2 DESC, 1",
		"SELECT quantile_cont(wirelen, [0.25, 0.5, 0.75]), count(DISTINCT dport) FROM packets",
		"SELECT service, count(*) FROM packets JOIN services ON port = dport GROUP BY 1 ORDER BY 2 DESC, 1",
	}
	want := make([]string, len(queries))
	for i, q := range queries {
		want[i] = fmt.Sprint(rows(t, e, q))
	}
	s, err := e.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(queries))
	var wg sync.WaitGroup
	wg.Go(func() { // t.Fatal is for the test's goroutine: errors are kept as the rows
		for i := len(queries) - 1; i >= 0; i-- {
			out, err := queryRows(s, queries[i])
			got[i] = fmt.Sprint(out)
			if err != nil {
				got[i] = err.Error()
			}
		}
	})
	for range 3 {
		for i, q := range queries {
			if r := fmt.Sprint(rows(t, e, q)); r != want[i] {
				t.Errorf("engine, during the session's queries: %s = %s, want %s", q, r, want[i])
			}
		}
	}
	wg.Wait()
	for i := range queries {
		if got[i] != want[i] {
			t.Errorf("session: %s = %s, want %s", queries[i], got[i], want[i])
		}
	}
	if _, err := s.Query(ctx, "SELECT * FROM read_csv('/etc/hostname')"); err == nil {
		t.Error("the session reads files the locked engine may not")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := fmt.Sprint(rows(t, e, queries[1])); r != want[1] {
		t.Errorf("engine after the session closed: %s, want %s", r, want[1])
	}
}
