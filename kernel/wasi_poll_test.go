package kernel

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// sleeper sleeps in WASI poll_oneoff on one relative clock subscription of the nanoseconds
// given as its first i64 global, then exits with the number of events (1) or 100+errno.
const sleeper = `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $ns i64 (i64.const %d))
  (func (export "_start") (local $e i32)
    (i64.store (i32.const 0) (i64.const 0x1234))   ;; userdata
    (i32.store8 (i32.const 8) (i32.const 0))       ;; tag: clock
    (i32.store (i32.const 16) (i32.const 1))       ;; monotonic
    (i64.store (i32.const 24) (global.get $ns))    ;; relative timeout
    (local.set $e (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
    (if (local.get $e) (then (call $exit (i32.add (i32.const 100) (local.get $e)))))
    (if (i64.ne (i64.load (i32.const 64)) (i64.const 0x1234)) (then (call $exit (i32.const 90))))
    (call $exit (i32.load (i32.const 128)))))`

func sleeperWAT(ns int64) string {
	return fmt.Sprintf(sleeper, ns)
}

func TestPollOneoffSleeps(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m := watModule(t, k, "sleeper", sleeperWAT(int64(60*time.Millisecond)))
	start := time.Now()
	p := spawn(t, k, m, SpawnOptions{})
	in := wait(t, p, 10*time.Second)
	if el := time.Since(start); el < 60*time.Millisecond {
		t.Fatalf("slept %v, want at least 60ms", el)
	}
	if in.ExitCode != 1 {
		t.Fatalf("exit %d (%s), want 1 event with its userdata", in.ExitCode, in.Reason)
	}
}

// TestKillWhileSleepingInWASI: a guest asleep in poll_oneoff for an hour is killed at once.
func TestKillWhileSleepingInWASI(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m := watModule(t, k, "sleeper", sleeperWAT(int64(time.Hour)))
	p := spawn(t, k, m, SpawnOptions{Stdout: os.DevNull, Stderr: os.DevNull})
	waitState(t, p, Blocked, 10*time.Second)
	start := time.Now()
	if err := k.Kill(p.PID(), true); err != nil {
		t.Fatal(err)
	}
	in := wait(t, p, 5*time.Second)
	if el := time.Since(start); el > time.Second {
		t.Fatalf("kill took %v", el)
	}
	if !in.State.Done() || in.ExitCode == 1 {
		t.Fatalf("after kill: %+v", in)
	}
}
