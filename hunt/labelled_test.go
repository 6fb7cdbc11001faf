package hunt_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/hunt"
	"github.com/pcapframe/pcapframe/internal/query"
)

// Floors of TestLabelled: all detectors together must find at least minRecall of the labelled behaviours, each
// detector with labelled captures at least minDetectorRecall of its own, and no detector may report (at low or
// above) a capture not labelled with it more than maxFalseAlarms times.
const (
	minRecall         = 0.85
	minDetectorRecall = 0.5
	maxFalseAlarms    = 0
)

// huntCapture loads one capture into an in-memory engine, runs the built-in detectors and returns the detectors
// with a finding at severity low or above, and the findings as text (for the log). With a baseline capture, the
// items of both are compared as hunt --baseline does (new_in_capture).
func huntCapture(t *testing.T, path, baseline string) (map[string]bool, string) {
	t.Helper()
	ctx := context.Background()
	e, err := query.Open(ctx, query.Options{Inputs: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Load(ctx, []string{path}, query.LoadOptions{}); err != nil {
		t.Logf("%s: load: %v (hunting on the rows before the damage)", filepath.Base(path), err)
	}
	if baseline != "" {
		loadBaseline(t, e, baseline)
	}
	rules, err := hunt.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hunt.Run(ctx, e, rules, hunt.Options{Inputs: []string{path}}); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	res, err := e.Query(ctx, fmt.Sprintf("SELECT detector, severity, score, actor, target FROM findings WHERE score >= %g ORDER BY score DESC", hunt.Low.MinScore()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	fired := map[string]bool{}
	var b strings.Builder
	for res.Next() {
		v := res.Values()
		fired[v[0].(string)] = true
		fmt.Fprintf(&b, "  %v %v %.3v %v -> %v\n", v...)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	return fired, b.String()
}

// loadBaseline creates the capture_items table of e and the baseline_items table from the capture at path,
// loaded into an engine of its own, as hunt --baseline does (internal/cli's loadBaseline).
func loadBaseline(t *testing.T, e *query.Engine, path string) {
	t.Helper()
	ctx := context.Background()
	q, _, err := hunt.ItemsQuery(ctx, e)
	if err != nil || q == "" {
		t.Fatalf("capture items: %q %v", q, err)
	}
	if err := e.Exec(ctx, hunt.ItemsTable(hunt.CaptureItems, q)); err != nil {
		t.Fatal(err)
	}
	be, err := query.Open(ctx, query.Options{Inputs: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if _, err := be.Load(ctx, []string{path}, query.LoadOptions{}); err != nil {
		t.Logf("baseline %s: load: %v (the rows before the damage)", filepath.Base(path), err)
	}
	bq, _, err := hunt.ItemsQuery(ctx, be)
	if err != nil || bq == "" {
		t.Fatalf("baseline items: %q %v", bq, err)
	}
	var items [][2]string
	for _, v := range queryRows(t, be, "SELECT kind, value FROM ("+bq+")") {
		k, _ := v[0].(string)
		val, _ := v[1].(string)
		items = append(items, [2]string{k, val})
	}
	for _, stmt := range hunt.BaselineInsert(items) {
		if err := e.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
}

// labelledPath returns the path of a capture of the labelled set: testdata/pcaps/NAME, synthetic:NAME, or
// hunt/testdata/NAME (a capture of this package's own, with the script that made it).
func labelledPath(t *testing.T, name string) string {
	t.Helper()
	if s, ok := strings.CutPrefix(name, "synthetic:"); ok {
		return synthetic(t, s)
	}
	path := filepath.Join("..", "testdata", "pcaps", name)
	if own, ok := strings.CutPrefix(name, "hunt/testdata/"); ok {
		path = filepath.Join("testdata", own)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("labelled capture missing (testdata/pcaps, see MANIFEST.tsv): %v", err)
	}
	return path
}

// TestLabelled runs every detector over the labelled set (testdata/labels.tsv: public corpus captures labelled
// from MANIFEST.tsv, and synthetic captures; a capture may name a baseline, "CAPTURE --baseline BASELINE", for
// new_in_capture) and computes, per detector, recall (labelled captures it reports at
// low or above) and false alarms (captures it reports that are not labelled with it). It fails below the floors
// above. With -v it logs the table that docs/HUNTING.md shows:
//
//	go test -count=1 -run TestLabelled -v ./hunt/
func TestLabelled(t *testing.T) {
	b, err := os.ReadFile("testdata/labels.tsv")
	if err != nil {
		t.Fatal(err)
	}
	type tally struct {
		pos, tp int
		fa      []string
		missed  []string
	}
	rules, err := hunt.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]*tally{}
	for _, r := range rules {
		per[r.Name] = &tally{}
	}
	captures := 0
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "capture\t") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("labels.tsv: bad line %q", line)
		}
		name, expected := f[0], map[string]bool{}
		if f[1] != "benign" {
			for _, d := range strings.Split(f[1], ",") {
				if per[d] == nil {
					t.Fatalf("labels.tsv: %s: no detector %q", name, d)
				}
				expected[d] = true
			}
		}
		// "CAPTURE --baseline BASELINE": the capture hunted with a known-good capture to compare with
		capName, baseName, _ := strings.Cut(name, " --baseline ")
		path, base := labelledPath(t, capName), ""
		if baseName != "" {
			base = labelledPath(t, baseName)
		}
		captures++
		fired, text := huntCapture(t, path, base)
		t.Logf("%s (expected %s):\n%s", name, f[1], text)
		for d, tl := range per {
			switch {
			case expected[d]:
				tl.pos++
				if fired[d] {
					tl.tp++
				} else {
					tl.missed = append(tl.missed, name)
				}
			case fired[d]:
				tl.fa = append(tl.fa, name)
			}
		}
	}
	names := make([]string, 0, len(per))
	for n := range per {
		names = append(names, n)
	}
	sort.Strings(names)
	var table strings.Builder
	pos, tp := 0, 0
	fmt.Fprintf(&table, "%d captures\n\n| detector | labelled | found | recall | false alarms | missed | false alarms on |\n|---|---|---|---|---|---|---|\n", captures)
	for _, n := range names {
		tl := per[n]
		recall := "-"
		if tl.pos > 0 {
			recall = fmt.Sprintf("%.2f", float64(tl.tp)/float64(tl.pos))
		}
		fmt.Fprintf(&table, "| %s | %d | %d | %s | %d | %s | %s |\n", n, tl.pos, tl.tp, recall, len(tl.fa), strings.Join(tl.missed, ", "), strings.Join(tl.fa, ", "))
		if tl.pos > 0 && float64(tl.tp)/float64(tl.pos) < minDetectorRecall {
			t.Errorf("%s: recall %d/%d under the floor %.2f (missed %v)", n, tl.tp, tl.pos, minDetectorRecall, tl.missed)
		}
		pos += tl.pos
		tp += tl.tp
		if len(tl.fa) > maxFalseAlarms {
			t.Errorf("%s: %d false alarms, more than %d: %v", n, len(tl.fa), maxFalseAlarms, tl.fa)
		}
	}
	fmt.Fprintf(&table, "\nall detectors: %d of %d labelled behaviours found (recall %.2f)\n", tp, pos, float64(tp)/float64(max(pos, 1)))
	if float64(tp) < minRecall*float64(pos) {
		t.Errorf("recall %d/%d under the floor %.2f", tp, pos, minRecall)
	}
	t.Log("\n" + table.String())
}
