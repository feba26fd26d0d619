package kernel

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestDoorsBadInput feeds http_fetch, proc_spawn and proc_kill bad arguments (pointers outside
// memory, invalid UTF-8, names that are paths, NUL bytes, a forged pid, a timeout of 0) and
// checks each gets its ABI error code, not a host crash. It exits with the number of the first
// check that failed.
func TestDoorsBadInput(t *testing.T) {
	l := &testLauncher{mods: map[string]*Module{}}
	k := newKernel(t, Config{AllowAll: true, Launcher: l})
	l.mods["kid"] = watModule(t, k, "kid", `(module (func (export "_start")))`)
	fetch := func(method, mlen, url, ulen, hdr, hlen, body, blen, out string, timeout string) string {
		return `(call $fetch (i32.const ` + method + `) (i32.const ` + mlen + `) (i32.const ` + url + `) (i32.const ` + ulen +
			`) (i32.const ` + hdr + `) (i32.const ` + hlen + `) (i32.const ` + body + `) (i32.const ` + blen +
			`) (i32.const ` + out + `) (i64.const ` + timeout + `))`
	}
	checks := []struct {
		expr string
		want int32
	}{
		{fetch("100", "3", "65530", "100", "0", "0", "0", "0", "2000", "-1"), errFault},     // URL past the end of memory
		{fetch("100", "3", "110", "17", "0", "0", "0", "0", "65530", "-1"), errFault},       // answer past the end
		{fetch("100", "3", "110", "17", "0", "0", "65000", "1000", "2000", "-1"), errFault}, // body past the end
		{fetch("100", "3", "110", "17", "0", "0", "0", "-1", "2000", "-1"), errFault},       // negative body length
		{fetch("100", "3", "110", "17", "0", "0", "0", "0", "2000", "0"), errInvalid},       // timeout 0
		{fetch("130", "3", "110", "17", "0", "0", "0", "0", "2000", "-1"), errInvalid},      // method "g t"
		{fetch("100", "3", "140", "2", "0", "0", "0", "0", "2000", "-1"), errInvalid},       // URL not UTF-8
		{fetch("100", "3", "150", "9", "0", "0", "0", "0", "2000", "-1"), errInvalid},       // "not a url"
		{fetch("100", "3", "110", "17", "160", "7", "0", "0", "2000", "-1"), errInvalid},    // header line without a colon
		{`(call $spawn (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 0))`, errFault},
		{`(call $spawn (i32.const 170) (i32.const 0) (i32.const 0) (i32.const 0))`, errInvalid},   // empty name
		{`(call $spawn (i32.const 180) (i32.const 8) (i32.const 0) (i32.const 0))`, errInvalid},   // "../a/kid"
		{`(call $spawn (i32.const 140) (i32.const 2) (i32.const 0) (i32.const 0))`, errInvalid},   // not UTF-8
		{`(call $spawn (i32.const 190) (i32.const 3) (i32.const 140) (i32.const 2))`, errInvalid}, // args not UTF-8
		{`(call $spawn (i32.const 190) (i32.const 3) (i32.const 65530) (i32.const 100))`, errFault},
		{`(call $spawn (i32.const 200) (i32.const 6) (i32.const 0) (i32.const 0))`, errNotFound},                // "nobody"
		{`(call $kill (i32.const 1) (i32.const 1))`, errNotFound},                                               // not a child
		{`(call $kill (i32.const 1) (i32.const 7))`, errInvalid},                                                // force must be 0 or 1
		{`(i32.gt_s (call $spawn (i32.const 190) (i32.const 3) (i32.const 0) (i32.const 0)) (i32.const 0))`, 1}, // "kid"
	}
	var body strings.Builder
	for i, c := range checks {
		fmt.Fprintf(&body, "    (if (i32.ne %s (i32.const %d)) (then (call $exit (i32.const %d))))\n", c.expr, c.want, i+1)
	}
	src := `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "http_fetch" (func $fetch (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (import "orbital" "proc_spawn" (func $spawn (param i32 i32 i32 i32) (result i32)))
  (import "orbital" "proc_kill" (func $kill (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "GET")
  (data (i32.const 110) "http://127.0.0.1/")
  (data (i32.const 130) "g t")
  (data (i32.const 140) "\ff\fe")
  (data (i32.const 150) "not a url")
  (data (i32.const 160) "NoColon")
  (data (i32.const 180) "../a/kid")
  (data (i32.const 190) "kid")
  (data (i32.const 200) "nobody")
  (func (export "_start")
` + body.String() + `    (call $exit (i32.const 0))))`
	p := spawn(t, k, watModule(t, k, "doors", src), SpawnOptions{})
	in := wait(t, p, 20*time.Second)
	if in.ExitCode != 0 {
		if i := in.ExitCode - 1; i >= 0 && i < len(checks) {
			t.Fatalf("check %d failed: %s should be %d (%s)", in.ExitCode, checks[i].expr, checks[i].want, in.Reason)
		}
		t.Fatalf("exit %d: %s", in.ExitCode, in.Reason)
	}
}
