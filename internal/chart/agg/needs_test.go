package agg

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNeeds checks the columns each aggregate says it reads: over a packets table of exactly those columns it
// runs, and without any one of them it fails.
func TestNeeds(t *testing.T) {
	e := openCapture(t, filepath.Join(pcapDir, "seed__find_the_image.pcap"))
	ctx := context.Background()
	if err := e.Exec(ctx, "ALTER VIEW packets RENAME TO packets_all"); err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name  string
		needs []string
		run   func() error
	}
	var tests []tc
	for _, d := range Dims {
		tests = append(tests, tc{string(d), d.Needs(), func() error { _, err := Bars(ctx, e, d, Options{}); return err }})
		tests = append(tests, tc{string(d) + " from the top talker", append(d.Needs(), "src"), func() error {
			_, err := Bars(ctx, e, d, Options{FromTopTalker: true})
			return err
		}})
	}
	tests = append(tests,
		tc{"timeline", TimelineNeeds, func() error { _, err := TimelineOf(ctx, e, 0, 100); return err }},
		tc{"graph", GraphNeeds, func() error { _, err := GraphOf(ctx, e, Payload, 10); return err }})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			needs := slices.Compact(slices.Sorted(slices.Values(tt.needs)))
			for drop := -1; drop < len(needs); drop++ {
				cols := slices.Clone(needs)
				if drop >= 0 {
					cols = slices.Delete(cols, drop, drop+1)
				}
				if len(cols) == 0 {
					continue
				}
				if err := e.Exec(ctx, "CREATE OR REPLACE TABLE packets AS SELECT "+strings.Join(cols, ", ")+" FROM packets_all"); err != nil {
					t.Fatal(err)
				}
				err := tt.run()
				switch {
				case drop < 0 && err != nil:
					t.Errorf("with columns %v: %v", cols, err)
				case drop >= 0 && err == nil:
					t.Errorf("ran without column %s", needs[drop])
				}
			}
		})
	}
}
