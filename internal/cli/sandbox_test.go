package cli

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The SQL sandbox attacked as a hostile user and a hostile database file would attack it (issue 16; the threat
// model is in docs/DESIGN.md, "The SQL sandbox"). Every case runs `pcapframe sql` without --allow-files; paths are
// inside the test's temporary directory.

func fileSum(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// mustRun runs the command line and fails the test unless it exits with code.
func mustRun(t *testing.T, code int, args ...string) (string, string) {
	t.Helper()
	out, errOut, got := run(t, "", args...)
	if got != code {
		t.Fatalf("%q: exit %d, want %d\nstdout: %s\nstderr: %s", args, got, code, out, errOut)
	}
	return out, errOut
}

// convertParquet writes the packet table of the seed capture to path.
func convertParquet(t *testing.T, path string) {
	t.Helper()
	mustRun(t, 0, "convert", seedPcap, "-o", path, "-q")
}

// TestSandboxAttacks runs each statement an attacker would try; none may touch a file outside the inputs, and
// the inputs and the database file must come out unchanged.
func TestSandboxAttacks(t *testing.T) {
	needSeed(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.parquet")
	convertParquet(t, in)
	secret := filepath.Join(dir, "secret.txt")
	os.WriteFile(secret, []byte("top secret\n"), 0o600)
	victim := filepath.Join(dir, "victim.parquet")
	convertParquet(t, victim)
	db := filepath.Join(dir, "x.duckdb")
	mustRun(t, 0, "sql", seedPcap, "--db", db, "-e", "SELECT 1")
	sums := map[string][32]byte{in: fileSum(t, in), victim: fileSum(t, victim), db: fileSum(t, db), secret: fileSum(t, secret)}
	written := filepath.Join(dir, "written.csv")
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	attacks := []struct{ name, sql string }{
		{"read a private file", "SELECT content FROM read_text(" + q(secret) + ")"},
		{"read a file as csv", "SELECT * FROM read_csv(" + q(secret) + ")"},
		{"glob the directory", "SELECT * FROM glob(" + q(dir+"/**") + ")"},
		{"read another parquet file", "SELECT count(*) FROM read_parquet(" + q(victim) + ")"},
		{"overwrite the parquet input", "COPY (SELECT 1 AS a) TO " + q(in) + " (FORMAT parquet, use_tmp_file false)"},
		{"overwrite the input as csv", "COPY (SELECT 'x') TO " + q(in) + " (FORMAT csv, use_tmp_file false)"},
		{"write a new file", "COPY (SELECT 'x') TO " + q(written)},
		{"write another parquet file", "COPY (SELECT 'x') TO " + q(victim) + " (FORMAT csv, use_tmp_file false)"},
		{"destroy the database file", "COPY (SELECT 'junk') TO " + q(db) + " (FORMAT csv, use_tmp_file false)"},
		{"explain analyze a copy", "EXPLAIN ANALYZE COPY (SELECT 1) TO " + q(in) + " (FORMAT csv, use_tmp_file false)"},
		{"explain analyze with options", "EXPLAIN /* c */ ANALYZE COPY (SELECT 1) TO " + q(written)},
		{"prepare a copy", "PREPARE p AS COPY (SELECT 1) TO " + q(written)},
		{"execute", "EXECUTE p"},
		{"copy hidden after a select", "SELECT 1; COPY (SELECT 'x') TO " + q(written)},
		{"copy hidden in a comment split", "SELECT 1 /* ; */; COPY (SELECT 'x') TO " + q(written)},
		{"export the database", "EXPORT DATABASE " + q(filepath.Join(dir, "export"))},
		{"attach a new database", "ATTACH " + q(filepath.Join(dir, "new.db")) + " AS n"},
		{"attach the victim", "ATTACH " + q(victim) + " AS v"},
		{"install an extension", "INSTALL sqlite"},
		{"load an extension", "LOAD sqlite"},
		{"read a URL", "SELECT * FROM read_parquet('https://example.com/x.parquet')"},
		{"read over s3", "SELECT * FROM read_csv('s3://bucket/x.csv')"},
		{"unlock the configuration", "SET lock_configuration = false"},
		{"switch external access on", "SET enable_external_access = true"},
		{"reset external access", "RESET enable_external_access"},
		{"widen the allowed paths", "SET allowed_paths = [" + q(secret) + "]"},
		{"widen the allowed directories", "SET allowed_directories = [" + q(dir) + "]"},
		{"move the temporary directory", "SET temp_directory = " + q(dir)},
		{"pragma profiling output", "PRAGMA profiling_output = " + q(written)},
		{"query log", "SET log_query_path = " + q(written)},
		{"persistent secret", "CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')"},
		{"copy from a file", "CREATE TABLE t (content VARCHAR); COPY t FROM " + q(secret)},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			for _, args := range [][]string{{"sql", in, "-e", a.sql}, {"sql", "--db", db, in, "-e", a.sql}} {
				out, errOut, code := run(t, "", args...)
				if code == 0 {
					t.Errorf("%q: exit 0, want a refusal (stdout %q)", args, out)
				}
				if strings.Contains(out, "top secret") || strings.Contains(errOut, "top secret") {
					t.Errorf("%q: the private file was read", args)
				}
			}
		})
	}
	for p, want := range sums {
		if p == db {
			continue // loading the Parquet input into the database changed it legitimately
		}
		if fileSum(t, p) != want {
			t.Errorf("%s was changed", filepath.Base(p))
		}
	}
	for _, p := range []string{written, filepath.Join(dir, "export"), filepath.Join(dir, "new.db")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", filepath.Base(p))
		}
	}
	// The database still opens and answers.
	mustRun(t, 0, "sql", "--db", db, in, "-e", "SELECT count(*) FROM packets")
}

// TestSandboxHeldStatements checks the statements that must still work in the sandbox.
func TestSandboxHeldStatements(t *testing.T) {
	needSeed(t)
	for _, q := range []string{
		"SELECT count(*) FROM packets",
		"EXPLAIN SELECT count(*) FROM packets",
		"EXPLAIN ANALYZE SELECT count(*) FROM packets",
		"CREATE TABLE t AS SELECT 1 AS x; INSERT INTO t VALUES (2); UPDATE t SET x = 3 WHERE x = 2; DELETE FROM t WHERE x = 1; SELECT * FROM t",
		"CREATE MACRO two() AS 2; SELECT two()",
		"SET VARIABLE v = 7; SELECT getvariable('v')",
		"PRAGMA table_info('packets')",
		"CALL pragma_version()",
		"SELECT current_setting('enable_external_access')",
	} {
		if out, errOut, code := run(t, "", "sql", seedPcap, "-e", q); code != 0 {
			t.Errorf("%q: exit %d (stdout %q, stderr %q)", q, code, out, errOut)
		}
	}
}

// TestSandboxTempDir: --temp-dir names where pcapframe makes its private directory, never a directory DuckDB
// may read or write as such.
func TestSandboxTempDir(t *testing.T) {
	needSeed(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.txt")
	os.WriteFile(secret, []byte("top secret\n"), 0o600)
	for _, tmp := range []string{"/", dir} {
		out, _, code := run(t, "", "sql", seedPcap, "--temp-dir", tmp, "-e", "SELECT content FROM read_text("+"'"+secret+"')")
		if code == 0 || strings.Contains(out, "top secret") {
			t.Errorf("--temp-dir %s: read the file (exit %d, %q)", tmp, code, out)
		}
		target := filepath.Join(dir, "x.csv")
		if _, _, code := run(t, "", "sql", seedPcap, "--temp-dir", dir, "-e", "COPY (SELECT 1) TO '"+target+"'"); code == 0 {
			t.Errorf("--temp-dir %s: COPY into it succeeded", tmp)
		}
		if _, err := os.Stat(target); err == nil {
			t.Errorf("--temp-dir %s: file written", tmp)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the private temporary directory was left in --temp-dir: %v", entries)
	}
}

// TestCraftedDatabase: a database file made with --allow-files cannot open files to a later locked run, whatever
// it holds: a view in place of pcapframe's mark over glob() or read_text(), a mark changed by UPDATE, a packets
// view over a private file.
func TestCraftedDatabase(t *testing.T) {
	needSeed(t)
	dir := t.TempDir()
	victims := filepath.Join(dir, "victims")
	os.Mkdir(victims, 0o755)
	victim := filepath.Join(victims, "victim.parquet")
	convertParquet(t, victim)
	sum := fileSum(t, victim)
	secret := filepath.Join(dir, "secret.txt")
	os.WriteFile(secret, []byte("top secret\n"), 0o600)
	in := filepath.Join(dir, "in.parquet")
	convertParquet(t, in)

	crafts := map[string]string{
		"mark view over glob": "CREATE VIEW _pcapframe_meta AS SELECT 'inputs' AS name, 'x' || chr(10) || string_agg(file || ' 1 1', chr(10)) AS value FROM glob('" + victims + "/**/*.parquet')",
		"old inputs view":     "CREATE VIEW _pcapframe_inputs AS SELECT string_agg(file, chr(10)) AS key FROM glob('" + victims + "/**/*.parquet')",
		"mark over read_text": "CREATE VIEW _pcapframe_meta AS SELECT 'inputs' AS name, content AS value FROM read_text('" + secret + "')",
		"packets over secret": "CREATE TABLE _pcapframe_meta (name VARCHAR, value VARCHAR); CREATE VIEW packets AS SELECT content FROM read_text('" + secret + "')",
	}
	for name, craft := range crafts {
		t.Run(name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "crafted.duckdb")
			mustRun(t, 0, "sql", "--db", db, "--allow-files", "-e", craft)
			for _, args := range [][]string{
				{"sql", "--db", db, "--db-foreign", "-e", "COPY (SELECT 'x') TO '" + victim + "' (FORMAT csv, use_tmp_file false)"},
				{"sql", "--db", db, "--db-foreign", "-e", "SELECT count(*) FROM read_parquet('" + victim + "')"},
				{"sql", "--db", db, "--db-foreign", "-e", "SELECT * FROM packets"},
				{"sql", "--db", db, "--db-foreign", in, "-e", "SELECT count(*) FROM read_parquet('" + victim + "')"},
			} {
				out, errOut, code := run(t, "", args...)
				if strings.Contains(out, "top secret") || (code == 0 && strings.Contains(args[len(args)-1], "victim")) {
					t.Errorf("%q: exit %d, stdout %q, stderr %q", args[len(args)-1], code, out, errOut)
				}
			}
		})
	}
	if fileSum(t, victim) != sum {
		t.Error("the victim file was overwritten")
	}
}

// TestGrantByUpdate: a locked run that rewrites pcapframe's record of its inputs grants nothing to the next run.
func TestGrantByUpdate(t *testing.T) {
	needSeed(t)
	dir := t.TempDir()
	other := filepath.Join(dir, "other.parquet")
	convertParquet(t, other)
	db := filepath.Join(dir, "x.duckdb")
	mustRun(t, 0, "sql", seedPcap, "--db", db, "-e", "UPDATE _pcapframe_meta SET value = value || chr(10) || '"+other+" 1 1'")
	for _, args := range [][]string{
		{"sql", "--db", db, "-e", "SELECT count(*) FROM read_parquet('" + other + "')"},
		{"sql", "--db", db, seedPcap, "-e", "SELECT count(*) FROM read_parquet('" + other + "')"},
	} {
		if out, _, code := run(t, "", args...); code == 0 {
			t.Errorf("%q read the other file: %q", args, out)
		}
	}
}

// TestForeignDatabase: pcapframe does not replace the tables of a database it did not create unless told to.
func TestForeignDatabase(t *testing.T) {
	needSeed(t)
	db := filepath.Join(t.TempDir(), "theirs.duckdb")
	mustRun(t, 0, "sql", "--db", db, "--allow-files", "-e", "CREATE TABLE packets AS SELECT 'mine' AS owner; CREATE VIEW mine AS SELECT * FROM packets")
	_, errOut := mustRun(t, 2, "sql", "--db", db, seedPcap, "-e", "SELECT 1")
	if !strings.Contains(errOut, "did not create") || !strings.Contains(errOut, "--db-foreign") {
		t.Errorf("message %q", errOut)
	}
	out, _ := mustRun(t, 0, "sql", "--db", db, "--allow-files", "-e", "SELECT owner FROM packets")
	if !strings.Contains(out, "mine") {
		t.Errorf("the user's table was changed: %q", out)
	}
	out, _ = mustRun(t, 0, "sql", "--db", db, "--db-foreign", seedPcap, "-e", "SELECT count(*) AS n FROM packets")
	if !strings.Contains(out, "3641") {
		t.Errorf("--db-foreign did not load: %q", out)
	}
}

// TestDatabaseFileMistakes: --db naming a Parquet file, a SQLite file or the -o output is refused as a usage
// error; a database that a failed run created is not left behind; no extension is downloaded.
func TestDatabaseFileMistakes(t *testing.T) {
	needSeed(t)
	dir := t.TempDir()
	t.Setenv("HOME", dir) // DuckDB keeps extensions in ~/.duckdb
	pq := filepath.Join(dir, "p.parquet")
	convertParquet(t, pq)
	sum := fileSum(t, pq)
	sqlite := filepath.Join(dir, "other.sqlite")
	os.WriteFile(sqlite, append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0}, 4080)...), 0o644)
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("not a database at all, but long enough"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"sql", "--db", pq, seedPcap, "-e", "SELECT 1"}, "Parquet"},
		{[]string{"sql", "--db", sqlite, "-e", "SELECT 1"}, "SQLite"},
		{[]string{"sql", "--db", junk, "-e", "SELECT 1"}, "not a DuckDB database"},
		{[]string{"sql", "--db", filepath.Join(dir, "o.duckdb"), seedPcap, "-e", "SELECT 1", "-o", filepath.Join(dir, "o.duckdb")}, "--db"},
	} {
		_, errOut := mustRun(t, 2, tt.args...)
		if !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: message %q lacks %q", tt.args, errOut, tt.want)
		}
	}
	if fileSum(t, pq) != sum {
		t.Error("the Parquet file named as --db was changed")
	}
	if _, err := os.Stat(filepath.Join(dir, ".duckdb")); err == nil {
		t.Error("~/.duckdb was created (an extension install was tried)")
	}
	// A run that creates a database and fails to load leaves no database file.
	notCapture := filepath.Join(dir, "notes.txt")
	os.WriteFile(notCapture, []byte("hello, not a capture\n"), 0o644)
	fresh := filepath.Join(dir, "fresh.duckdb")
	if _, _, code := run(t, "", "sql", "--db", fresh, notCapture, "-e", "SELECT 1"); code == 0 {
		t.Error("a load of a non-capture succeeded")
	}
	for _, p := range []string{fresh, fresh + ".wal"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left behind by the failed run", filepath.Base(p))
		}
	}
	// An empty file (what a failed creation could leave) is taken as a new database.
	empty := filepath.Join(dir, "empty.duckdb")
	os.WriteFile(empty, nil, 0o644)
	mustRun(t, 0, "sql", "--db", empty, seedPcap, "-e", "SELECT count(*) FROM packets")
}
