package http

import (
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
)

// TestShare: the Conn an Analyzer made in Stream is offered for that *analyzer.Flow only (not for another
// pointer to an equal flow), once, and an offer nobody took is withdrawn by the next Stream, FlowEnd and Close,
// so no Analyzer leaves more than one entry behind.
func TestShare(t *testing.T) {
	a := New(func(*Row) error { return nil })
	f1, f2, f3 := testFlow, testFlow, testFlow
	f2.UID, f3.UID = "C2", "C3"
	h := a.Stream(&f1)
	same := f1
	if c := Share(&same); c != nil {
		t.Fatal("a Conn offered for another pointer to an equal flow")
	}
	if c := Share(&f1); c == nil || c != h {
		t.Fatalf("Share = %p, want the handler %p", c, h)
	}
	if c := Share(&f1); c != nil {
		t.Fatal("a Conn offered twice")
	}
	a.Stream(&f2)
	a.Stream(&f3) // withdraws f2's offer
	if c := Share(&f2); c != nil {
		t.Fatal("an offer left behind by the next Stream")
	}
	if err := a.FlowEnd(&f3); err != nil {
		t.Fatal(err)
	}
	if c := Share(&f3); c != nil {
		t.Fatal("an offer left behind by FlowEnd")
	}
	a.Stream(&f2)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if c := Share(&f2); c != nil {
		t.Fatal("an offer left behind by Close")
	}
	n := 0
	shared.Range(func(k, v any) bool {
		if k.(*analyzer.Flow) == &f1 || k.(*analyzer.Flow) == &f2 || k.(*analyzer.Flow) == &f3 {
			n++
		}
		return true
	})
	if n != 0 {
		t.Fatalf("%d entries of this analyzer left", n)
	}
}
