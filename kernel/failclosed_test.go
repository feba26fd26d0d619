package kernel

import (
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
)

// The zero Config fails closed (issue 18): without policies, a process may compute and exit,
// and every door refuses it: the bus, surfaces, spawn. Only AllowAll opens them.
func TestZeroConfigFailsClosed(t *testing.T) {
	subscribe := wat(`(data (i32.const 300) "a.b")
  (import "orbital" "subscribe" (func $sub (param i32 i32 i32) (result i32)))
  (func (export "_start") (local $r i32)
    (local.set $r (call $sub (i32.const 300) (i32.const 3) (i32.const 0)))
    (if (i32.lt_s (local.get $r) (i32.const 0)) (then (call $exit (i32.sub (i32.const 0) (local.get $r)))))
    (call $exit (i32.const 0)))`)
	// wat() puts imports first; move this one up with the others.
	subscribe = strings.Replace(subscribe, `  (import "orbital" "subscribe" (func $sub (param i32 i32 i32) (result i32)))`+"\n", "", 1)
	subscribe = strings.Replace(subscribe, `(module`, `(module (import "orbital" "subscribe" (func $sub (param i32 i32 i32) (result i32)))`, 1)
	for _, c := range []struct {
		name     string
		cfg      Config
		wantCode int
	}{
		{"zero config", Config{Display: nullDisplay{}}, int(-errDenied)},
		{"allow all", Config{Display: nullDisplay{}, AllowAll: true}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			sink := &logSink{}
			c.cfg.Log = sink.log
			k := newKernel(t, c.cfg)
			in := wait(t, spawn(t, k, watModule(t, k, "sub", subscribe), SpawnOptions{}), 10*time.Second)
			if in.ExitCode != c.wantCode {
				t.Errorf("subscribe: exit %d (%s), want %d", in.ExitCode, in.Reason, c.wantCode)
			}
			in = wait(t, spawn(t, k, watModule(t, k, "surf", surfaceWAT(10, 10)), SpawnOptions{UI: true}), 10*time.Second)
			if in.ExitCode != c.wantCode {
				t.Errorf("surface_create: exit %d (%s), want %d", in.ExitCode, in.Reason, c.wantCode)
			}
			if c.wantCode != 0 && !strings.Contains(sink.String(), "no policies") {
				t.Errorf("the refusal does not say why:\n%s", sink)
			}
		})
	}
	if _, err := New(Config{Bus: bus.New(bus.Config{})}); err == nil {
		t.Fatal("a kernel enforcing policy accepted a bus it cannot check")
	}
}
