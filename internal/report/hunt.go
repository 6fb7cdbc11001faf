package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/pcapframe/pcapframe/hunt"
	"github.com/pcapframe/pcapframe/internal/query"
)

// MaxFindings caps the findings the page lists.
const MaxFindings = 100

// Hunting is the page's hunting section: the findings of the built-in detectors (as `pcapframe hunt` runs them)
// at or above severity low, highest score first.
type Hunting struct {
	Findings []Finding `json:"findings"`
	// Total is the number of findings at or above low; the page lists at most MaxFindings.
	Total int64 `json:"total"`
	// Ran lists the detectors that ran; Skipped says why the others did not ("detector: reason").
	Ran     []string `json:"ran"`
	Skipped []string `json:"skipped"`
}

// Finding is one row of the findings table, as the page shows it.
type Finding struct {
	Detector string   `json:"detector"`
	Severity string   `json:"severity"`
	Score    float64  `json:"score"`
	Actor    string   `json:"actor"`
	Target   string   `json:"target"`
	First    string   `json:"first"`
	Last     string   `json:"last"`
	Summary  string   `json:"summary"`
	Commands []string `json:"commands"`
	// Sensitive marks a finding of a detector that reads the credentials table: its target and summary name
	// user names as sent, which the page shows only after a click, as it shows the credentials themselves.
	Sensitive bool `json:"sensitive"`
}

// CollectHunting runs the built-in detectors over the tables of e (hunt.Run: it creates the findings table) and
// returns the findings at or above severity low. inputs are named in the commands to dig in. A detector whose
// tables are missing, or whose query fails on tables of fewer columns, is listed in Skipped with the reason.
func CollectHunting(ctx context.Context, e *query.Engine, inputs []string) (*Hunting, error) {
	rules, err := hunt.Builtin()
	if err != nil {
		return nil, err
	}
	sum, err := hunt.Run(ctx, e, rules, hunt.Options{Inputs: inputs, KeepGoing: true})
	if err != nil {
		return nil, fmt.Errorf("hunt: %w", err)
	}
	sensitive := map[string]bool{}
	for _, r := range rules {
		sensitive[r.Name] = slices.Contains(r.Needs, "credentials")
	}
	h := &Hunting{Findings: []Finding{}, Ran: sum.Ran, Skipped: []string{}}
	if h.Ran == nil {
		h.Ran = []string{}
	}
	for d, why := range sum.Skipped {
		h.Skipped = append(h.Skipped, d+": "+why)
	}
	sort.Strings(h.Skipped)
	where := " WHERE score >= " + strconv.FormatFloat(hunt.Low.MinScore(), 'g', -1, 64)
	res, err := e.Query(ctx, `SELECT count(*) FROM `+hunt.Table+where)
	if err != nil {
		return nil, err
	}
	if res.Next() {
		h.Total = int64Of(res.Values()[0])
	}
	res.Close()
	res, err = e.Query(ctx, `SELECT detector, severity, score, actor, target, strftime(first_ts, '%Y-%m-%d %H:%M:%S.%f'),
		strftime(last_ts, '%Y-%m-%d %H:%M:%S.%f'), summary, commands FROM `+hunt.Table+where+`
		ORDER BY score DESC, detector, actor, target LIMIT `+strconv.Itoa(MaxFindings))
	if err != nil {
		return nil, err
	}
	defer res.Close()
	for res.Next() {
		v := res.Values()
		str := func(i int) string {
			s, _ := v[i].(string)
			return s
		}
		f := Finding{Detector: str(0), Severity: str(1), Actor: str(3), Target: str(4), First: str(5), Last: str(6), Summary: str(7), Commands: []string{}}
		f.Score, _ = v[2].(float64)
		f.Sensitive = sensitive[f.Detector]
		if list, ok := v[8].([]any); ok {
			for _, c := range list {
				if s, ok := c.(string); ok {
					f.Commands = append(f.Commands, s)
				}
			}
		}
		h.Findings = append(h.Findings, f)
	}
	return h, res.Err()
}

func int64Of(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	}
	return 0
}
