package kernel

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Reload of a reactor service: its safe point is between two handler calls (serve.go).

// counterWAT is a reactor service counting its calls; it answers [version, count u32] and
// hands the count over a reload. bad: its _initialize traps. noHandler: it serves nothing.
func counterWAT(version int, bad, noHandler bool) string {
	init := `(func (export "_initialize"))`
	if bad {
		init = `(func (export "_initialize") unreachable)`
	}
	handler := `
  (func (export "orbital_service_buffer") (param i32) (result i32) (i32.const 4096))
  (func (export "orbital_service_handle") (param i32 i32) (result i64)
    (i32.store (i32.const 512) (i32.add (i32.load (i32.const 512)) (i32.const 1)))
    (i32.store8 (i32.const 600) (i32.const ` + fmt.Sprint(version) + `))
    (i32.store (i32.const 601) (i32.load (i32.const 512)))
    (i64.or (i64.shl (i64.const 5) (i64.const 32)) (i64.const 600)))`
	if noHandler {
		handler = ""
	}
	return `(module
  (import "orbital" "region_read" (func $rread (param i32 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ` + init + handler + `
  (func (export "orbital_reload_save") (result i64) (i64.or (i64.shl (i64.const 4) (i64.const 32)) (i64.const 512)))
  (func (export "orbital_reload_restore") (param $h i32) (param $n i32) (result i32)
    (drop (call $rread (local.get $h) (i64.const 0) (i32.const 512) (i32.const 4)))
    (i32.const 0)))`
}

func TestReloadReactorService(t *testing.T) {
	k, _, _ := serviceKernel(t, Config{AllowAll: true, ReloadGrace: 50 * time.Millisecond})
	v1 := watModule(t, k, "counter", counterWAT(1, false, false))
	p := spawn(t, k, v1, SpawnOptions{Version: "1.0.0"})
	count := func() (version, n int) {
		t.Helper()
		rep, err := p.Call(context.Background(), ServiceCall{Service: "counter", Timeout: 10 * time.Second})
		if err != nil || len(rep.Payload) != 5 {
			t.Fatalf("call: %q, %v", rep.Payload, err)
		}
		return int(rep.Payload[0]), int(binary.LittleEndian.Uint32(rep.Payload[1:]))
	}
	for range 3 {
		count()
	}
	reload := func(m *Module) (ReloadResult, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return k.Reload(ctx, p.PID(), m, ReloadOptions{Grace: 50 * time.Millisecond})
	}

	// Calls keep coming while the code is replaced: each one is answered, by one code or the other.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var failed atomic.Value
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if _, err := p.Call(context.Background(), ServiceCall{Service: "counter", Timeout: 10 * time.Second}); err != nil {
				failed.Store(err)
				return
			}
		}
	}()
	res, err := reload(watModule(t, k, "counter", counterWAT(2, false, false)))
	stop.Store(true)
	wg.Wait()
	if err != nil || res.Outcome != ReloadCommitted || res.State != 4 || !res.Restored {
		t.Fatalf("reload to v2: %+v, %v", res, err)
	}
	if e := failed.Load(); e != nil {
		t.Fatalf("a call during the reload failed: %v", e)
	}
	v, n := count()
	if v != 2 || n < 5 {
		t.Fatalf("after the reload: version %d count %d, want 2 and the count carried over", v, n)
	}

	res, err = reload(watModule(t, k, "counter", counterWAT(3, true, false)))
	if err != nil || res.Outcome != ReloadRolledBack || !strings.Contains(res.Reason, "unreachable") {
		t.Fatalf("reload to code whose _initialize traps: %+v, %v", res, err)
	}
	if v2, n2 := count(); v2 != 2 || n2 != n+1 {
		t.Fatalf("after the rollback: version %d count %d, want 2 %d", v2, n2, n+1)
	}
	if _, err := reload(watModule(t, k, "counter", counterWAT(4, false, true))); !errors.Is(err, ErrReloadRefused) || !strings.Contains(err.Error(), "orbital_service_handle") {
		t.Fatalf("reload to code without a handler: %v", err)
	}
	if in := p.Info(); in.State.Done() || in.Reloads != 1 || in.PID != p.PID() {
		t.Fatalf("after the reloads: %+v", in)
	}
}
