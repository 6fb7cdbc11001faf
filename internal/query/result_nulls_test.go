package query

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResultListNullElements: a list that DuckDB builds with NULL elements (list(x) over rows where x is NULL) is
// written with those elements NULL, in CSV and JSON Lines as null and in Parquet as NULL that DuckDB reads back,
// never as "" or 0 in their place.
func TestResultListNullElements(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const q = `SELECT list(s ORDER BY k) AS s, list(i ORDER BY k) AS i, list(f ORDER BY k) AS f
		FROM (VALUES (1, 'a', 1, 1.5), (2, NULL, NULL, NULL), (3, '', 0, 0.0)) t(k, s, i, f)`
	for _, c := range []struct {
		format Format
		want   string
	}{
		{JSONL, `{"s":["a",null,""],"i":[1,null,0],"f":[1.5,null,0]}` + "\n"},
		{CSV, "s,i,f\n" + `"[""a"",null,""""]","[1,null,0]","[1.5,null,0]"` + "\n"},
	} {
		r, err := e.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(r, c.format, &buf, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if buf.String() != c.want {
			t.Errorf("%s: %q, want %q", c.format, buf.String(), c.want)
		}
	}
	r, err := e.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.parquet")
	if err := WriteFile(r, Parquet, path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	reader, err := Open(ctx, Options{AllowFiles: true}) // the sandboxed engine may not read other files
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	r, err = reader.Query(ctx, "SELECT s[2] IS NULL, i[2] IS NULL, f[2] IS NULL, s[3] = '', i[3] = 0, len(s) FROM read_parquet('"+strings.ReplaceAll(path, "'", "''")+"')")
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	var buf bytes.Buffer
	if err := Write(r, CSV, &buf, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(buf.String(), "\n")[1]; got != "true,true,true,true,true,3" {
		t.Errorf("DuckDB reads back %q, want the second elements NULL and the third '' and 0", got)
	}
}
