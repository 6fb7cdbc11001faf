package hunt

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const body = "SELECT 1 AS score"
	for _, c := range []struct {
		name, rule, text string
		err              string // substring of the error; "" for success
		params           int
		needs            string
	}{
		{"ok", "r", "-- finds x\n-- needs: flows, dns\n-- param a = 3  doc (source)\n" + body + " WHERE ${a} > 0;", "", 1, "flows,dns"},
		{"underscore number", "r", "-- needs: flows\n-- param big = 1_000_000 bytes\n" + body, "", 1, "flows"},
		{"negative and exponent", "r", "-- needs: flows\n-- param a = -1.5e3 x\n" + body, "", 1, "flows"},
		{"blank lines in header", "r", "-- a\n\n-- needs: flows\n\n" + body, "", 0, "flows"},
		{"bad name", "Bad-Name", "-- needs: flows\n" + body, "detector name", 0, ""},
		{"no needs", "r", "-- finds\n" + body, "names no table", 0, ""},
		{"bad table", "r", "-- needs: flows; drop\n" + body, "bad table name", 0, ""},
		{"no query", "r", "-- needs: flows\n", "no query", 0, ""},
		{"bad param", "r", "-- needs: flows\n-- param a = x\n" + body, "bad parameter line", 0, ""},
		{"param twice", "r", "-- needs: flows\n-- param a = 1\n-- param a = 2\n" + body, "declared twice", 0, ""},
		{"undeclared", "r", "-- needs: flows\n" + body + " WHERE ${b} > 0", "not a declared parameter", 0, ""},
		{"injection in ref", "r", "-- needs: flows\n-- param a = 1\n" + body + " WHERE ${a; DROP} > 0", "not a declared parameter", 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Parse(c.rule, c.text)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Params) != c.params || strings.Join(r.Needs, ",") != c.needs {
				t.Errorf("params %v needs %v", r.Params, r.Needs)
			}
			if strings.HasSuffix(r.Query, ";") || strings.HasPrefix(r.Query, "--") {
				t.Errorf("query %q", r.Query)
			}
		})
	}
}

func TestRender(t *testing.T) {
	r, err := Parse("r", "-- needs: flows\n-- param a = 1_000 x\n-- param b = 0.5 y\nSELECT ${a} + ${b} + ${a} AS score")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		set  map[string]float64
		want string
		err  bool
	}{
		{"defaults", nil, "SELECT (1000) + (0.5) + (1000) AS score", false},
		{"override", map[string]float64{"b": -2}, "SELECT (1000) + (-2) + (1000) AS score", false},
		{"unknown", map[string]float64{"c": 1}, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, err := r.Render(c.set)
			if (err != nil) != c.err {
				t.Fatalf("error %v", err)
			}
			if !c.err && q != c.want {
				t.Errorf("got %q, want %q", q, c.want)
			}
		})
	}
}

// TestBuiltin checks that every built-in detector parses, documents each parameter (with a source or reason) and
// returns the columns of Columns in its final SELECT.
func TestBuiltin(t *testing.T) {
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"beacon", "beacon_names", "brute_force", "cleartext_credentials", "dns_tunnel", "host_sweep", "icmp_tunnel", "ip6_ext_covert", "large_upload",
		"login_brute_force", "long_connection", "new_in_capture", "port_scan", "resolver_tunnel", "tls_rare_ja4", "tls_self_signed", "unknown_bulk"}
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
		for _, p := range r.Params {
			if len(p.Doc) < 10 {
				t.Errorf("%s: parameter %s has no documentation", r.Name, p.Name)
			}
		}
		if !strings.Contains(r.Header, "Returns:") || !strings.Contains(r.Header, "Score") {
			t.Errorf("%s: header lacks Score or Returns", r.Name)
		}
		for _, c := range Columns {
			if !strings.Contains(r.Query, " AS "+c.Name) && !strings.Contains(r.Query, c.Name+",") {
				t.Errorf("%s: no column %s", r.Name, c.Name)
			}
		}
		if _, err := r.Render(nil); err != nil {
			t.Error(err)
		}
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("built-in detectors %v, want %v", names, want)
	}
}

func TestMerge(t *testing.T) {
	a := &Rule{Name: "a", Source: "builtin"}
	b := &Rule{Name: "b", Source: "builtin"}
	b2 := &Rule{Name: "b", Source: "dir"}
	c := &Rule{Name: "c", Source: "dir"}
	got := Merge([]*Rule{b, a}, []*Rule{c, b2})
	if len(got) != 3 || got[0] != a || got[1] != b2 || got[2] != c {
		t.Errorf("Merge: %v", got)
	}
}

func TestSeverity(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Severity
		rank int
		min  float64
	}{
		{"info", Info, 0, 0}, {"LOW", Low, 1, ScoreLow}, {" medium ", Medium, 2, ScoreMedium}, {"high", High, 3, ScoreHigh},
	} {
		s, err := ParseSeverity(c.in)
		if err != nil || s != c.want || s.Rank() != c.rank || s.MinScore() != c.min {
			t.Errorf("%q: %v %v", c.in, s, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("severe parsed")
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"capture.pcap":    "capture.pcap",
		"my capture.pcap": "'my capture.pcap'",
		"it's":            `'it'\''s'`,
		"":                "''",
		"$(rm -rf ~)":     "'$(rm -rf ~)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse feeds arbitrary detector files to Parse and Render: no panic, and a parsed rule renders with no ${
// left (a parameter can only become a number).
func FuzzParse(f *testing.F) {
	rules, err := Builtin()
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range rules {
		f.Add("-- " + strings.ReplaceAll(r.Header, "\n", "\n-- ") + "\n" + r.Query)
	}
	f.Add("-- needs: flows\n-- param a = 1e999\nSELECT ${a}")
	f.Add("-- needs: x\n-- param a = 1..2\nSELECT ${a}${")
	f.Fuzz(func(t *testing.T, text string) {
		r, err := Parse("fuzz", text)
		if err != nil {
			return
		}
		q, err := r.Render(nil)
		if err != nil {
			t.Fatalf("parsed rule does not render: %v", err)
		}
		for _, m := range refRE.FindAllString(q, -1) {
			if strings.Contains(r.Query, m) {
				t.Fatalf("reference %s left in %q", m, q)
			}
		}
	})
}

// fakeDB records statements and knows the tables it is given.
type fakeDB struct {
	tables map[string]bool
	stmts  []string
}

func (d *fakeDB) Exec(_ context.Context, s string) error { d.stmts = append(d.stmts, s); return nil }
func (d *fakeDB) HasTable(_ context.Context, n string) (bool, error) {
	return d.tables[n], nil
}

// TestRunSkipsAndQuotes checks that Run skips a detector whose table is missing, runs the others with their
// parameters set, and writes the inputs into the commands quoted for a shell.
func TestRunSkipsAndQuotes(t *testing.T) {
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	db := &fakeDB{tables: map[string]bool{"flows": true, "packets": true, "services": true, "tls": true}}
	sum, err := Run(context.Background(), db, rules, Options{
		Inputs: []string{"my capture.pcap", "b.pcap"},
		Set:    map[string]map[string]float64{"port_scan": {"port_scan_threshold": 7}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// every detector whose tables the fake database has runs; the others are skipped naming the first missing one
	for _, r := range rules {
		missing := ""
		for _, n := range r.Needs {
			if !db.tables[n] {
				missing = n
				break
			}
		}
		ran := slices.Contains(sum.Ran, r.Name)
		if missing == "" && !ran || missing != "" && (ran || sum.Skipped[r.Name] != "no "+missing+" table") {
			t.Errorf("%s (needs %v): ran %v, skipped %q", r.Name, r.Needs, ran, sum.Skipped[r.Name])
		}
	}
	if sum.Skipped["dns_tunnel"] != "no dns table" || sum.Skipped["new_in_capture"] != "no capture_items table" || len(sum.Ran)+len(sum.Skipped) != len(rules) {
		t.Errorf("ran %v, skipped %v", sum.Ran, sum.Skipped)
	}
	all := strings.Join(db.stmts, "\n")
	for _, want := range []string{
		"CREATE OR REPLACE TABLE findings",
		`'pcapframe follow ''my capture.pcap'' --flow '`,
		`'pcapframe sql ''my capture.pcap'' b.pcap -e '`,
		"failed_ports / (7)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("statements lack %q", want)
		}
	}
	if _, err := Run(context.Background(), db, rules, Options{Set: map[string]map[string]float64{"nope": {"a": 1}}}); err == nil {
		t.Error("a parameter of an unknown detector was accepted")
	}
}
