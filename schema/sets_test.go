package schema

import (
	"slices"
	"testing"
)

// TestSelectSet: a single name of one of the table's Sets selects that set's columns, in its order.
func TestSelectSet(t *testing.T) {
	type row struct{ a, b, c int64 }
	col := func(name string) Column[row] {
		return Column[row]{Name: name, Type: Int64, Doc: name, Int: func(*row) (int64, bool) { return 0, true }}
	}
	tb := &Table[row]{Name: "t", Doc: "t", Columns: []Column[row]{col("a"), col("b"), col("c")}, Sets: map[string][]string{"pair": {"c", "a"}}}
	sel, err := tb.Select([]string{"pair"})
	if err != nil {
		t.Fatal(err)
	}
	if got := sel.Names(); !slices.Equal(got, []string{"c", "a"}) {
		t.Errorf("pair selects %v, want [c a]", got)
	}
	if _, err := tb.Select([]string{"pair", "b"}); err == nil {
		t.Error("a set's name among other names was accepted as a column")
	}
}
