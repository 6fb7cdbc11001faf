package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedPcap is the notebook capture of the repository's corpus (testdata/pcaps).
const seedPcap = "../../testdata/pcaps/seed__find_the_image.pcap"

// run runs the command line with fake streams and returns stdout, stderr and the exit status.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &IO{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	root := NewRoot(io)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	code := report(&errOut, err)
	return out.String(), errOut.String(), code
}

func needSeed(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(seedPcap); err != nil {
		t.Fatalf("corpus capture (testdata/pcaps, see MANIFEST.tsv): %v", err)
	}
}

func TestSQLExec(t *testing.T) {
	needSeed(t)
	tests := []struct {
		name string
		args []string
		want string // substring of stdout
		code int
	}{
		{"csv when piped", []string{"sql", seedPcap, "-e", "SELECT src, count(*) AS n FROM packets GROUP BY src ORDER BY n DESC LIMIT 1"}, "src,n\n192.168.1.6,1555\n", 0},
		{"table", []string{"sql", seedPcap, "-f", "table", "-e", "SELECT count(*) AS n FROM packets"}, "   n\n----\n3641\n(1 row)\n", 0},
		{"markdown", []string{"sql", seedPcap, "-f", "markdown", "-e", "SELECT 'a|b' AS x"}, "| a\\|b |", 0},
		{"jsonl", []string{"sql", seedPcap, "-f", "jsonl", "-e", "SELECT dport, sum(payload) AS p FROM packets WHERE dport = 7070 GROUP BY dport"}, `{"dport":7070,"p":117382}`, 0},
		{"several statements", []string{"sql", seedPcap, "-e", "CREATE TABLE t AS SELECT 41 AS x; SELECT x + 1 AS y FROM t"}, "y\n42\n", 0},
		{"sql error", []string{"sql", seedPcap, "-e", "SELECT nosuch FROM packets"}, "", 1},
		{"files are off", []string{"sql", seedPcap, "-e", "SELECT * FROM read_csv('/etc/hostname')"}, "", 1},
		{"no input", []string{"sql", "-e", "SELECT 1"}, "", 2},
		{"bad format", []string{"sql", seedPcap, "-f", "xml", "-e", "SELECT 1"}, "", 2},
		{"missing input", []string{"sql", "/nonexistent.pcap", "-e", "SELECT 1"}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, "", tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("stdout %q lacks %q", out, tt.want)
			}
			if code == 1 && strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("error is not one line: %q", errOut)
			}
		})
	}
}

// TestSQLStatements checks that every statement of -e (and of one prompt line) prints its rows, in order, as
// DuckDB's shell does, and that a file gets the last statement's rows only. 3641 is the notebook's packet count.
func TestSQLStatements(t *testing.T) {
	needSeed(t)
	const q = "SELECT 'a;b' AS x; -- a comment; not a statement\nSELECT count(*) AS n FROM packets; SELECT 2 AS \"y;\""
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
		code  int
	}{
		{"csv", "", []string{"-e", q}, "x\na;b\nn\n3641\ny;\n2\n", 0},
		{"table", "", []string{"-f", "table", "-e", q}, "x\n---\na;b\n(1 row)\n\n   n\n----\n3641\n(1 row)\n\ny;\n--\n 2\n(1 row)\n", 0},
		{"jsonl", "", []string{"-f", "jsonl", "-e", q}, "{\"x\":\"a;b\"}\n{\"n\":3641}\n{\"y;\":2}\n", 0},
		{"error stops", "", []string{"-e", "SELECT 1 AS a; SELECT nosuch; SELECT 3 AS c"}, "a\n1\n", 1},
		{"prompt line", "SELECT 1 AS a; SELECT 2 AS b;\n", []string{"-f", "csv"}, "a\n1\nb\n2\n", 0},
		{"prompt string over lines", "SELECT 'a;\nb;' AS x;\n", []string{"-f", "csv"}, "x\na;\\x0ab;\n", 0}, // the newline escaped, as every control character on standard output
		{"prompt dollar quote over lines", "SELECT $$a;\nb;$$ AS x;\n", []string{"-f", "csv"}, "x\na;\\x0ab;\n", 0},
		{"prompt line comment", "SELECT 1 AS a -- c;\n, 2 AS b;\n", []string{"-f", "csv"}, "a,b\n1,2\n", 0},
		// DuckDB's parser reads the whole text before anything runs: a syntax error anywhere runs nothing.
		{"syntax error runs nothing", "", []string{"-e", "SELECT 1 AS a; SELEC 2"}, "", 1},
		// As DuckDB's shell, statements that change the database print nothing (no "Count" of changed rows),
		// except INSERT ... RETURNING; a SELECT whose column is named Count still prints.
		{"changes print nothing", "", []string{"-e", "CREATE TABLE t AS SELECT 1 AS x; INSERT INTO t VALUES (2); " +
			"INSERT INTO t VALUES (3) RETURNING x; UPDATE t SET x = x + 1; DELETE FROM t WHERE x = 3; CREATE VIEW v AS " +
			"SELECT * FROM t; DROP VIEW v; SELECT count(*) AS \"Count\" FROM t"}, "x\n3\nCount\n2\n", 0},
		{"one change prints nothing", "", []string{"-e", "CREATE TABLE t AS SELECT 1 AS x"}, "", 0},
		{"prompt change", "CREATE TABLE t (x INTEGER);\nINSERT INTO t VALUES (5);\nSELECT x FROM t;\n", []string{"-f", "csv"}, "x\n5\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, tt.stdin, append([]string{"sql", seedPcap, "--tables", "packets"}, tt.args...)...)
			if code != tt.code || out != tt.want {
				t.Fatalf("exit %d, stdout %q; want exit %d, stdout %q (stderr %q)", code, out, tt.code, tt.want, errOut)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "out.csv")
	if _, errOut, code := run(t, "", "sql", seedPcap, "--tables", "packets", "-o", path, "-e", "CREATE TABLE t AS SELECT 41 AS v; SELECT v + 1 AS w FROM t"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "w\n42\n" {
		t.Errorf("file = %q, %v; want the last statement's rows", b, err)
	}
}

func TestSQLErrorNamesTables(t *testing.T) {
	needSeed(t)
	// An unknown column: DuckDB's message and the columns of the table the query names, not every table.
	_, errOut, _ := run(t, "", "sql", seedPcap, "-e", "SELECT nosuch FROM packets")
	for _, want := range []string{`"nosuch"`, "columns of packets: source, frame"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q lacks %q", errOut, want)
		}
	}
	if strings.Contains(errOut, "services") {
		t.Errorf("stderr %q lists other tables", errOut)
	}
	// An unknown table: the table names.
	_, errOut, _ = run(t, "", "sql", seedPcap, "-e", "SELECT * FROM nosuch")
	for _, want := range []string{"nosuch", "tables: ", "packets", "flows", "services"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q lacks %q", errOut, want)
		}
	}
}

func TestSQLOutputFile(t *testing.T) {
	needSeed(t)
	dir := t.TempDir()
	for _, name := range []string{"ports.csv", "ports.parquet", "ports.jsonl"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			_, errOut, code := run(t, "", "sql", seedPcap, "-o", path, "-e", "SELECT dport, sum(payload) AS payload FROM packets GROUP BY dport ORDER BY dport")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			// Read the file back with the engine itself (Parquet) or parse it (CSV).
			if strings.HasSuffix(name, ".csv") {
				f, _ := os.Open(path)
				defer f.Close()
				recs, err := csv.NewReader(f).ReadAll()
				if err != nil || len(recs) != 10 || recs[1][0] != "443" || recs[1][1] != "148874" {
					t.Errorf("csv = %v, %v", recs, err)
				}
				return
			}
			out, errOut, code := run(t, "", "sql", path, "-e", "SELECT count(*) AS n, sum(payload) AS p FROM "+strings.TrimSuffix(name, filepath.Ext(name)))
			if strings.HasSuffix(name, ".jsonl") {
				// A JSON Lines file is not an input: it is read as a capture and refused.
				if code == 0 {
					t.Errorf("jsonl input accepted: %s", out)
				}
				b, _ := os.ReadFile(path)
				if !strings.Contains(string(b), `{"dport":443,"payload":148874}`) {
					t.Errorf("jsonl = %s", b)
				}
				return
			}
			if code != 0 || out != "n,p\n9,2423517\n" {
				t.Errorf("read back: %q (exit %d, %s)", out, code, errOut)
			}
		})
	}
}

func TestSQLPrompt(t *testing.T) {
	needSeed(t)
	stdin := strings.Join([]string{
		".tables",
		".schema services",
		"SELECT count(*)",
		"  AS n FROM packets;",
		"SELECT nosuch;",
		".mode jsonl",
		"SELECT 1 AS one;",
		".mode nope",
		".quit",
		"SELECT 'not reached';",
	}, "\n")
	out, errOut, code := run(t, stdin, "sql", seedPcap)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"packets (", "services (3 columns)", "transport  VARCHAR", "n\n3641\n", `{"one":1}`} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not reached") {
		t.Error(".quit did not stop the prompt")
	}
	for _, want := range []string{"error: ", "nosuch", "tables:\n", "  packets: source, frame", "  flows: ts, uid", `unknown mode "nope"`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestSQLDatabaseReuse(t *testing.T) {
	needSeed(t)
	db := filepath.Join(t.TempDir(), "seed.duckdb")
	for _, args := range [][]string{
		{"sql", seedPcap, "--db", db, "-e", "SELECT count(*) AS n FROM packets"},
		{"sql", seedPcap, "--db", db, "-e", "SELECT count(*) AS n FROM packets"},
		{"sql", "--db", db, "-e", "SELECT count(*) AS n FROM packets"},
	} {
		out, errOut, code := run(t, "", args...)
		if code != 0 || out != "n\n3641\n" {
			t.Errorf("%v: %q exit %d %s", args, out, code, errOut)
		}
	}
}

func TestStatsCommand(t *testing.T) {
	needSeed(t)
	out, errOut, code := run(t, "", "stats", seedPcap, "--json", "--top", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Sections []struct {
			Name string
			SQL  string
			Rows []map[string]any
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	found := false
	for _, s := range rep.Sections {
		if s.SQL == "" {
			t.Errorf("section %s has no SQL", s.Name)
		}
		if s.Name == "src" {
			found = true
			if len(s.Rows) != 3 || s.Rows[0]["src"] != "192.168.1.6" || s.Rows[0]["packets"] != float64(1555) {
				t.Errorf("src rows = %v", s.Rows)
			}
		}
	}
	if !found {
		t.Error("no src section")
	}

	out, _, code = run(t, "", "stats", seedPcap, "--only", "protocols", "--show-sql")
	if code != 0 || !strings.Contains(out, "string_split") || !strings.Contains(out, "    tcp   eth:ip:tcp    3641  2627391  ") {
		t.Errorf("stats --show-sql:\n%s", out)
	}
	if _, _, code := run(t, "", "stats", seedPcap, "--only", "nosuch"); code != 2 {
		t.Errorf("unknown section: exit %d, want 2", code)
	}
}

func TestStatsDamagedInput(t *testing.T) {
	needSeed(t)
	b, err := os.ReadFile(seedPcap)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, b[:len(b)-100], 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "", "sql", cut, "-e", "SELECT count(*) AS n FROM packets")
	if code != ExitDamaged || out != "n\n3639\n" || !strings.Contains(errOut, "3639 frames read before it") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("damaged input: exit %d, out %q, err %q", code, out, errOut)
	}
}
