package sink

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestParquetNaNPageIndex writes Float64 and Float64List pages that hold only NaN (and pages with numbers too)
// and has parquet-go read every page's bounds from the page index: a page with values has 8-byte bounds (NaN
// when it holds only NaN), an all-NULL page none.
func TestParquetNaNPageIndex(t *testing.T) {
	nan := math.NaN()
	var rows []testRow
	var lrows []listRow
	for i := range 200 {
		r := testRow{F: nan}
		l := listRow{ID: int64(i), RTTs: []float64{nan, nan}}
		switch {
		case i >= 150:
			r.F, l.RTTs = float64(i), []float64{nan, float64(i)}
		case i >= 100:
			r.Null, l.Null = 1<<colF, 4
		}
		rows, lrows = append(rows, r), append(lrows, l)
	}
	for _, direct := range []bool{true, false} {
		t.Run(writerNames[direct], func(t *testing.T) {
			var a, b []byte
			withWriter(direct, func() {
				a = encode(t, Parquet, rows, Options{PageBytes: 64, RowGroupRows: 120})
				b = encodeLists(t, Parquet, lrows, Options{PageBytes: 64, RowGroupRows: 120}, 50)
			})
			for _, tc := range []struct {
				data []byte
				col  int
			}{{a, colF}, {b, lcRTTs}} {
				f, err := parquet.OpenFile(bytes.NewReader(tc.data), int64(len(tc.data)))
				if err != nil {
					t.Fatal(err)
				}
				pages := 0
				for _, rg := range f.RowGroups() {
					cc := rg.ColumnChunks()[tc.col]
					ci, err := cc.ColumnIndex()
					if err != nil {
						t.Fatal(err)
					}
					for i := range ci.NumPages() {
						pages++
						var lo, hi parquet.Value
						if err := func() (err error) {
							defer func() {
								if p := recover(); p != nil {
									err = fmt.Errorf("%v", p)
								}
							}()
							lo, hi = ci.MinValue(i), ci.MaxValue(i)
							return nil
						}(); err != nil {
							t.Fatalf("column %d page %d: bounds: %v", tc.col, i, err)
						}
						if !ci.NullPage(i) && (lo.Kind() != parquet.Double || hi.Kind() != parquet.Double || !(lo.Double() <= hi.Double() || math.IsNaN(lo.Double()) && math.IsNaN(hi.Double()))) {
							t.Errorf("column %d page %d: bounds %v..%v", tc.col, i, lo, hi)
						}
					}
				}
				if pages < 3 {
					t.Errorf("column %d: %d pages", tc.col, pages)
				}
				readParquet(t, tc.data) // every row, so that a page index that misleads the reader shows
			}
		})
	}
}
