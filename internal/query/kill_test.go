package query

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// loadHelper runs in a child process that TestKilledReload starts (through TestMain): it loads one input into a
// database file and exits.
func loadHelper(db, in string) {
	ctx := context.Background()
	e, err := Open(ctx, Options{Path: db, Threads: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_, err = e.Load(ctx, []string{in}, LoadOptions{Workers: 1})
	e.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestKilledReload kills (SIGKILL) a reload of a database file at many points: the database must always open
// again, holding either the old tables or the new ones, never a mix and never nothing (issue 16 item 7).
func TestKilledReload(t *testing.T) {
	ctx := context.Background()
	inputs := []string{corpusFile(t, "chrissanders__arppoison.pcapng"), corpusFile(t, "seed__find_the_image.pcap")}
	want := map[string]string{} // packets count -> flows count, per input
	db := filepath.Join(t.TempDir(), "x.duckdb")
	child := func(in string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "PCAPFRAME_LOAD_DB="+db, "PCAPFRAME_LOAD_INPUT="+in)
		return cmd
	}
	// The two states, and how long a whole reload takes.
	var full time.Duration
	for _, in := range inputs {
		start := time.Now()
		if out, err := child(in).CombinedOutput(); err != nil {
			t.Fatalf("load %s: %v\n%s", in, err, out)
		}
		full = max(full, time.Since(start))
		e, err := Open(ctx, Options{Path: db})
		if err != nil {
			t.Fatal(err)
		}
		r := rows(t, e, "SELECT (SELECT count(*) FROM packets), (SELECT count(*) FROM flows)")[0]
		want[r[0]] = r[1]
		e.Close()
	}
	if len(want) != 2 {
		t.Fatalf("the two inputs give the same counts: %v", want)
	}
	const kills = 30
	for i := range kills {
		in := inputs[i%2]
		delay := full * time.Duration(i) / kills
		cmd := child(in)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		e, err := Open(ctx, Options{Path: db})
		if err != nil {
			t.Fatalf("kill %d after %v: the database cannot be opened: %v", i, delay, err)
		}
		r := rows(t, e, "SELECT (SELECT count(*) FROM packets), (SELECT count(*) FROM flows)")[0]
		if flows, ok := want[r[0]]; !ok || flows != r[1] {
			t.Errorf("kill %d after %v: %s packets and %s flows, neither the old state nor the new (%v)", i, delay, r[0], r[1], want)
		}
		if left, err := e.objects(ctx, "starts_with(name, "+quoteString(buildPrefix)+")"); err != nil || len(left) > 0 && i == kills-1 {
			t.Logf("kill %d: tables being built were left (dropped by the next load): %v %v", i, left, err)
		}
		e.Close()
	}
}
