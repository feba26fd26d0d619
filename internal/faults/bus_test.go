package faults

import (
	"testing"
	"time"
)

// subSpamWAT subscribes to spam.topic up to 200k times and exits with 100 - the first error
// code it gets (109: ERR_LIMIT), or 0 if every subscription was granted.
const subSpamWAT = `(module
  (import "orbital" "subscribe" (func $sub (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "spam.topic")
  (func (export "_start") (local $i i32) (local $r i32)
    (loop $l
      (local.set $r (call $sub (i32.const 0) (i32.const 10) (i32.const 1)))
      (if (i32.lt_s (local.get $r) (i32.const 0))
        (then (call $exit (i32.sub (i32.const 100) (local.get $r)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 200000))))
    (call $exit (i32.const 0))))`

// Defect 4: subscriptions were unlimited and released in quadratic time (100k: 26 s at exit;
// 1M: 11 minutes, past --timeout). A module subscribing in a loop now meets ERR_LIMIT, and
// its run ends at once.
func TestSubscriptionSpam(t *testing.T) {
	h := home(t, map[string]string{"subspam": `[module]
match = "subspam"
[bus]
subscribe = ["spam.>"]
`})
	mod := wat(t, t.TempDir(), "subspam", subSpamWAT)
	r := orbital(t, 30*time.Second, "run", "--home", h, mod)
	t.Logf("run took %v, exit %d", r.took, r.code)
	if r.code != 109 {
		t.Fatalf("exit %d, want 109 (ERR_LIMIT on a subscription past the cap)\n%s", r.code, r.stderr)
	}
	if r.took > 20*time.Second {
		t.Fatalf("the run took %v", r.took)
	}
}
