package testenv

import (
	"fmt"
	"testing"
	"time"
)

// Eventually polls cond until it returns true or timeout passes, then fails the test, saying
// what was awaited (msg: a format and its arguments, optional). Tests wait on a condition this
// way instead of sleeping a guessed time: on a loaded machine the condition comes late, never
// wrongly.
func Eventually(t testing.TB, cond func() bool, timeout time.Duration, msg ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			what := "the condition"
			if len(msg) > 0 {
				what = fmt.Sprintf(fmt.Sprint(msg[0]), msg[1:]...)
			}
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(wait)
	}
}
