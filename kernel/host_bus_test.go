package kernel

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// busImports declares the bus family and a few core functions for WAT test modules.
const busImports = `
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "pid" (func $pid (result i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (import "orbital" "time_monotonic" (func $now (result i64)))
  (import "orbital" "send" (func $send (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "orbital" "publish" (func $publish (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "orbital" "subscribe" (func $subscribe (param i32 i32 i32) (result i32)))
  (import "orbital" "unsubscribe" (func $unsubscribe (param i32) (result i32)))
  (import "orbital" "request" (func $request (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "orbital" "reply" (func $reply (param i64 i32 i32 i32 i32) (result i32)))
  (import "orbital" "region_create" (func $rcreate (param i64) (result i32)))
  (import "orbital" "region_read" (func $rread (param i32 i64 i32 i32) (result i32)))
  (import "orbital" "region_write" (func $rwrite (param i32 i64 i32 i32) (result i32)))
  (import "orbital" "region_size" (func $rsize (param i32) (result i64)))
  (import "orbital" "region_release" (func $rrelease (param i32) (result i32)))
`

// TestBusBadInput runs a guest that feeds every bus host function bad arguments (malformed
// topics, forged and stale handles, ranges past a region's end, pointers outside memory,
// forged kinds, a region over the process's limit) and checks each gets its ABI error code,
// then does the good cases (publish to itself, a region transfer). It exits with the number of
// the first check that failed.
func TestBusBadInput(t *testing.T) {
	k := newKernel(t, Config{})
	checks := []struct {
		expr string // an i32 expression
		want int32
	}{
		{`(call $publish (i32.const 100) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))`, errBadTopic}, // "a..b"
		{`(call $publish (i32.const 110) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))`, errBadTopic}, // "a.*"
		{`(call $subscribe (i32.const 100) (i32.const 0) (i32.const 0))`, errBadTopic},
		{`(call $subscribe (i32.const 120) (i32.const 3) (i32.const 5))`, errInvalid}, // "x.>" mode 5
		{`(call $unsubscribe (i32.const 12345))`, errNotFound},
		{`(call $send (i32.const 999) (i32.const 1) (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0) (i64.const 0))`, errNotFound},
		{`(call $send (call $pid) (i32.const 3) (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0) (i64.const 0))`, errInvalid},  // forged request
		{`(call $send (call $pid) (i32.const 17) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0))`, errInvalid}, // forged quit
		{`(call $send (call $pid) (i32.const 1) (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 0) (i64.const 0))`, errFault},
		{`(call $send (call $pid) (i32.const 1) (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 0) (i64.const 0))`, errInvalid},
		{`(call $publish (i32.const 130) (i32.const 11) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))`, errNotFound}, // "nobody.here"
		{`(call $publish (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))`, errFault},
		{`(call $rcreate (i64.const 0))`, errInvalid},
		{`(call $rcreate (i64.const 1099511627776))`, errInvalid},
		{`(call $rcreate (i64.const 5000))`, errLimit}, // over the process's 4096 region bytes
		{`(i32.gt_s (local.tee $h (call $rcreate (i64.const 100))) (i32.const 0))`, 1},
		{`(call $rread (local.get $h) (i64.const 90) (i32.const 0) (i32.const 20))`, errInvalid}, // past the end
		{`(call $rread (local.get $h) (i64.const -1) (i32.const 0) (i32.const 1))`, errInvalid},
		{`(call $rread (i32.const 4242) (i64.const 0) (i32.const 0) (i32.const 1))`, errNotFound}, // forged handle
		{`(call $rwrite (local.get $h) (i64.const 0) (i32.const 65530) (i32.const 100))`, errFault},
		{`(call $rwrite (local.get $h) (i64.const 96) (i32.const 0) (i32.const 4))`, 4},
		{`(i32.wrap_i64 (call $rsize (local.get $h)))`, 100},
		{`(call $rrelease (local.get $h))`, 0},
		{`(call $rrelease (local.get $h))`, errNotFound}, // stale
		{`(i32.wrap_i64 (call $rsize (local.get $h)))`, errNotFound},
		{`(call $send (call $pid) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 200) (i32.const 1) (i64.const 0))`, errNotFound}, // forged handle 4242 attached
		{`(call $send (call $pid) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 200) (i32.const 99) (i64.const 0))`, errTooBig},
		{`(call $request (i32.const 130) (i32.const 11) (i32.const 0) (i32.const 0) (i32.const 1024) (i32.const 4096) (i64.const 1000000))`, errNotFound},
		{`(call $request (i32.const 130) (i32.const 11) (i32.const 0) (i32.const 0) (i32.const 65000) (i32.const 4096) (i64.const 1000000))`, errFault},
		{`(call $reply (i64.const 777) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))`, errNotFound},
		// Good cases: publish to our own subscription and receive it.
		{`(i32.gt_s (call $subscribe (i32.const 140) (i32.const 6) (i32.const 0)) (i32.const 0))`, 1}, // "self.t"
		{`(call $publish (i32.const 140) (i32.const 6) (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0))`, 0},
		{`(call $recv (i32.const 1024) (i32.const 4096) (i64.const 1000000000))`, 48 + 6 + 4},
		{`(i32.load (i32.const 1024))`, 2}, // kind publish
		// A region transferred to ourselves read-only: the old handle is gone, the new one reads
		// but does not write.
		{`(i32.gt_s (local.tee $h (call $rcreate (i64.const 16))) (i32.const 0))`, 1},
		{`(i32.store (i32.const 208) (local.get $h))`, -999},
		{`(call $send (call $pid) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 208) (i32.const 1) (i64.const 0))`, 0},
		{`(i32.wrap_i64 (call $rsize (local.get $h)))`, errNotFound},
		{`(call $recv (i32.const 1024) (i32.const 4096) (i64.const 0))`, 48 + 4},
		{`(i32.wrap_i64 (call $rsize (i32.load (i32.const 1072))))`, 16},
		{`(call $rwrite (i32.load (i32.const 1072)) (i64.const 0) (i32.const 0) (i32.const 1))`, errRights},
		{`(call $rread (i32.load (i32.const 1072)) (i64.const 0) (i32.const 0) (i32.const 16))`, 16},
	}
	var body strings.Builder
	for i, c := range checks {
		if c.want == -999 { // a statement, not a check
			fmt.Fprintf(&body, "    %s\n", c.expr)
			continue
		}
		fmt.Fprintf(&body, "    (if (i32.ne %s (i32.const %d)) (then (call $exit (i32.const %d))))\n", c.expr, c.want, i+1)
	}
	src := `(module` + busImports + `
  (memory (export "memory") 1)
  (data (i32.const 100) "a..b")
  (data (i32.const 110) "a.*")
  (data (i32.const 120) "x.>")
  (data (i32.const 130) "nobody.here")
  (data (i32.const 140) "self.t")
  (data (i32.const 200) "\92\10\00\00\01\00\00\00")
  (data (i32.const 212) "\05\00\00\00") ;; flags of the pair at 208: read + transfer
  (func (export "_start") (local $h i32)
` + body.String() + `    (call $exit (i32.const 0)))
)`
	m := watModule(t, k, "badinput", src)
	lim := Limits{}
	lim.Inbox.MaxRegionBytes = 4096
	p := spawn(t, k, m, SpawnOptions{Limits: lim})
	in := wait(t, p, 20*time.Second)
	if in.ExitCode != 0 {
		i := in.ExitCode - 1
		if i >= 0 && i < len(checks) {
			t.Fatalf("check %d failed: %s should be %d (%s)", in.ExitCode, checks[i].expr, checks[i].want, in.Reason)
		}
		t.Fatalf("exit %d: %s", in.ExitCode, in.Reason)
	}
	if n := k.Bus().Stats().Regions; n != 0 {
		t.Fatalf("%d regions alive after the process ended", n)
	}
}
