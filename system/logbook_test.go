package system

import (
	"fmt"
	"testing"

	"github.com/orbital/orbital/admin"
)

// A process's lines come back oldest first, at most the newest logLinesPerProc, and a ring
// holds only the lines it was given until it is full.
func TestLogBookRing(t *testing.T) {
	b := newLogBook()
	line := func(i int) admin.LogLine { return admin.LogLine{Text: fmt.Sprint(i)} }
	b.add(1, line(0))
	if got := cap(b.rings[1].lines); got > 8 {
		t.Fatalf("one line allocated room for %d", got)
	}
	for _, n := range []int{1, 5, logLinesPerProc, logLinesPerProc + 7, 3*logLinesPerProc + 1} {
		b := newLogBook()
		for i := range n {
			b.add(7, line(i))
		}
		all, ok := b.lines(7, 0)
		want := min(n, logLinesPerProc)
		if !ok || len(all) != want || all[0].Text != fmt.Sprint(n-want) || all[want-1].Text != fmt.Sprint(n-1) {
			t.Fatalf("%d lines: got %d, first %q, last %q", n, len(all), all[0].Text, all[len(all)-1].Text)
		}
		if last, _ := b.lines(7, 3); len(last) != min(3, n) || last[len(last)-1].Text != fmt.Sprint(n-1) {
			t.Fatalf("%d lines, newest 3: %v", n, last)
		}
	}
	if _, ok := b.lines(99, 0); ok {
		t.Fatal("a pid that never logged has lines")
	}
}
