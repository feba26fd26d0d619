package kernel

import (
	"strings"
	"testing"
	"time"
)

func TestRecvTooSmallKeepsMessage(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	// recv into 8 bytes (too small: ERR_TOO_SMALL), then into 4 KiB: the same event arrives.
	// Exit code: 10*(-first result) + event type.
	m := watModule(t, k, "small", wat(`(func (export "_start") (local $r i32)
  (local.set $r (call $recv (i32.const 1024) (i32.const 8) (i64.const -1)))
  (drop (call $recv (i32.const 1024) (i32.const 4096) (i64.const -1)))
  (call $exit (i32.add (i32.mul (i32.sub (i32.const 0) (local.get $r)) (i32.const 10))
                       (i32.load (i32.const 1072)))))`))
	p := spawn(t, k, m, SpawnOptions{})
	k.PostEvent(p.PID(), Event{Type: EventChar, Code: 'x'})
	if in := wait(t, p, 5*time.Second); in.ExitCode != 10*int(-errTooSmall)+EventChar {
		t.Fatalf("exit %d (%s)", in.ExitCode, in.Reason)
	}
}

func TestRecvTimeout(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	for _, tc := range []struct{ name, timeout string }{{"poll", "0"}, {"50ms", "50000000"}} {
		m := watModule(t, k, tc.name, wat(`(func (export "_start")
  (call $exit (i32.sub (i32.const 0) (call $recv (i32.const 1024) (i32.const 4096) (i64.const `+tc.timeout+`)))))`))
		if in := wait(t, spawn(t, k, m, SpawnOptions{}), 5*time.Second); in.ExitCode != -int(errTimeout) {
			t.Fatalf("%s: exit %d (%s)", tc.name, in.ExitCode, in.Reason)
		}
	}
}

func TestLog(t *testing.T) {
	sink := &logSink{}
	k := newKernel(t, Config{AllowAll: true, Log: sink.log})
	m := watModule(t, k, "logger", wat(`(func (export "_start")
  (if (i32.ne (call $log (i32.const 1) (i32.const 16) (i32.const 14)) (i32.const 0)) (then unreachable))
  (if (i32.ne (call $log (i32.const 9) (i32.const 16) (i32.const 14)) (i32.const -1)) (then unreachable))
  (if (i32.ne (call $log (i32.const 1) (i32.const 0) (i32.const 6000)) (i32.const 0)) (then unreachable)))`))
	if in := wait(t, spawn(t, k, m, SpawnOptions{}), 5*time.Second); in.State != Exited {
		t.Fatalf("%+v", in)
	}
	out := sink.String()
	if !strings.Contains(out, "logger: hello from wat") || !strings.Contains(out, "[cut: line longer than 4 KiB]") {
		t.Fatalf("log lines: %q", out)
	}
}

func TestSurfaceDenied(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m := watModule(t, k, "ui", wat(`(func (export "_start")
  (call $exit (i32.sub (i32.const 0) (call $surface_create (i32.const 10) (i32.const 10) (i32.const 16) (i32.const 5)))))`))
	if in := wait(t, spawn(t, k, m, SpawnOptions{UI: true}), 5*time.Second); in.ExitCode != -int(errDenied) {
		t.Fatalf("no display: exit %d, want ERR_DENIED", in.ExitCode)
	}
}
