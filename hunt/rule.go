package hunt

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

//go:embed rules/*.sql
var builtin embed.FS

// MaxRuleBytes bounds the size of one detector file.
const MaxRuleBytes = 1 << 20

// Rule is one detector: a SQL file whose header says what it finds, what it needs and its parameters.
type Rule struct {
	// Name is the file name without .sql (lower case letters, digits and '_').
	Name string
	// Header is the leading comment, without the "-- " markers: what the detector finds, its parameters and
	// their sources, the columns it returns.
	Header string
	// Needs lists the tables the query reads (from "-- needs: t1, t2").
	Needs []string
	// Params are the named parameters, in the order they are declared.
	Params []Param
	// Query is the SELECT, with ${name} for each parameter.
	Query string
	// Source says where the rule was read from: "builtin" or a file path.
	Source string
}

// Param is a named threshold of a rule.
type Param struct {
	Name  string
	Value float64
	// Doc is the rest of the declaration line: what it is and where the default comes from.
	Doc string
}

var (
	nameRE  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	paramRE = regexp.MustCompile(`^param\s+([a-z][a-z0-9_]{0,63})\s*=\s*(-?[0-9][0-9_.eE+-]*)\s*(.*)$`)
	refRE   = regexp.MustCompile(`\$\{([^}]*)\}`)
)

// Parse reads a detector file named name (without .sql).
func Parse(name, text string) (*Rule, error) {
	if !nameRE.MatchString(name) {
		return nil, fmt.Errorf("detector name %q: want lower case letters, digits and '_'", name)
	}
	if len(text) > MaxRuleBytes {
		return nil, fmt.Errorf("detector %s: %d bytes, more than %d", name, len(text), MaxRuleBytes)
	}
	r := &Rule{Name: name}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var header []string
	i := 0
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			header = append(header, "")
			continue
		}
		if !strings.HasPrefix(l, "--") {
			break
		}
		body := strings.TrimSpace(strings.TrimPrefix(l, "--"))
		header = append(header, body)
		switch {
		case strings.HasPrefix(body, "needs:"):
			for _, t := range strings.Split(strings.TrimPrefix(body, "needs:"), ",") {
				if t = strings.TrimSpace(t); t != "" {
					if !nameRE.MatchString(t) {
						return nil, fmt.Errorf("detector %s: needs: bad table name %q", name, t)
					}
					r.Needs = append(r.Needs, t)
				}
			}
		case strings.HasPrefix(body, "param "):
			m := paramRE.FindStringSubmatch(body)
			if m == nil {
				return nil, fmt.Errorf("detector %s: bad parameter line %q (want: param name = number description)", name, body)
			}
			v, err := strconv.ParseFloat(strings.ReplaceAll(m[2], "_", ""), 64)
			if err != nil {
				return nil, fmt.Errorf("detector %s: parameter %s: %w", name, m[1], err)
			}
			if slices.ContainsFunc(r.Params, func(p Param) bool { return p.Name == m[1] }) {
				return nil, fmt.Errorf("detector %s: parameter %s declared twice", name, m[1])
			}
			r.Params = append(r.Params, Param{Name: m[1], Value: v, Doc: strings.TrimSpace(m[3])})
		}
	}
	r.Header = strings.TrimSpace(strings.Join(header, "\n"))
	r.Query = strings.TrimSpace(strings.Join(lines[i:], "\n"))
	r.Query = strings.TrimSpace(strings.TrimSuffix(r.Query, ";"))
	if r.Query == "" {
		return nil, fmt.Errorf("detector %s: no query after the header", name)
	}
	if len(r.Needs) == 0 {
		return nil, fmt.Errorf("detector %s: the header names no table (want a line: -- needs: flows, dns)", name)
	}
	for _, m := range refRE.FindAllStringSubmatch(r.Query, -1) {
		if !slices.ContainsFunc(r.Params, func(p Param) bool { return p.Name == m[1] }) {
			return nil, fmt.Errorf("detector %s: ${%s} is not a declared parameter", name, m[1])
		}
	}
	return r, nil
}

// Render returns the query with every ${name} replaced by the parameter's value: the default, or the value in
// set (keyed by parameter name) when there is one.
func (r *Rule) Render(set map[string]float64) (string, error) {
	for k := range set {
		if !slices.ContainsFunc(r.Params, func(p Param) bool { return p.Name == k }) {
			return "", fmt.Errorf("detector %s has no parameter %q", r.Name, k)
		}
	}
	var err error
	q := refRE.ReplaceAllStringFunc(r.Query, func(s string) string {
		name := s[2 : len(s)-1]
		for _, p := range r.Params {
			if p.Name == name {
				v := p.Value
				if x, ok := set[name]; ok {
					v = x
				}
				return "(" + strconv.FormatFloat(v, 'g', -1, 64) + ")"
			}
		}
		err = fmt.Errorf("detector %s: ${%s} is not a declared parameter", r.Name, name)
		return s
	})
	return q, err
}

// Builtin returns the detectors shipped in the binary, sorted by name.
func Builtin() ([]*Rule, error) {
	sub, err := fs.Sub(builtin, "rules")
	if err != nil {
		return nil, err
	}
	rules, err := loadFS(sub, "builtin")
	if err != nil {
		return nil, fmt.Errorf("built-in detectors: %w", err)
	}
	return rules, nil
}

// LoadDir reads the *.sql files of dir as detectors.
func LoadDir(dir string) ([]*Rule, error) {
	rules, err := loadFS(os.DirFS(dir), dir)
	if err != nil {
		return nil, fmt.Errorf("rules %q: %w", dir, err)
	}
	return rules, nil
}

func loadFS(fsys fs.FS, source string) ([]*Rule, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no .sql file")
	}
	var rules []*Rule
	for _, n := range names {
		if fi, err := fs.Stat(fsys, n); err != nil {
			return nil, err
		} else if fi.Size() > MaxRuleBytes {
			return nil, fmt.Errorf("%s: %d bytes, more than %d", n, fi.Size(), MaxRuleBytes)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		r, err := Parse(strings.TrimSuffix(n, ".sql"), string(b))
		if err != nil {
			return nil, err
		}
		r.Source = source
		if source != "builtin" {
			r.Source = filepath.Join(source, n)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// Merge returns base with the rules of extra added, a rule of extra replacing the rule of base with its name,
// sorted by name.
func Merge(base, extra []*Rule) []*Rule {
	out := map[string]*Rule{}
	for _, r := range base {
		out[r.Name] = r
	}
	for _, r := range extra {
		out[r.Name] = r
	}
	rules := make([]*Rule, 0, len(out))
	for _, r := range out {
		rules = append(rules, r)
	}
	slices.SortFunc(rules, func(a, b *Rule) int { return strings.Compare(a.Name, b.Name) })
	return rules
}
