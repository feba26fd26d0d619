package kernel

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
)

// fakeCluster places every spawn with a placement on node "b".
type fakeCluster struct {
	mu    sync.Mutex
	spawn []string
}

func (f *fakeCluster) Place(place string) (string, error) {
	if place == "" {
		return "", nil
	}
	if place == "node=zz" {
		return "", fmt.Errorf("%w: no node zz", bus.ErrNotFound)
	}
	return "b", nil
}

func (f *fakeCluster) SpawnOn(_ context.Context, parent bus.PID, node, name string, args []string) (bus.PID, error) {
	f.mu.Lock()
	f.spawn = append(f.spawn, fmt.Sprint(node, " ", name, " ", args))
	f.mu.Unlock()
	return 777, nil
}

func (f *fakeCluster) Address(node string, pid uint32) (bus.PID, error) {
	return bus.PID(700 + pid), nil
}

// clusterWAT calls proc_spawn_at("child", "a\0b", place) or node_pid("b", 88) and exits with
// the result (negated when an error code).
func clusterWAT(place string) string {
	call := `(call $at (i32.const 100) (i32.const 5) (i32.const 200) (i32.const 3) (i32.const 300) (i32.const ` + fmt.Sprint(len(place)) + `))`
	if place == "pid" {
		call = `(call $npid (i32.const 400) (i32.const 1) (i32.const 88))`
	}
	return `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "proc_spawn_at" (func $at (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "orbital" "node_pid" (func $npid (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "child") (data (i32.const 200) "a\00b") (data (i32.const 300) "` + place + `") (data (i32.const 400) "b")
  (func (export "_start") (local $r i32)
    (local.set $r ` + call + `)
    (if (i32.lt_s (local.get $r) (i32.const 0)) (then (call $exit (i32.sub (i32.const 0) (local.get $r)))))
    (call $exit (i32.sub (local.get $r) (i32.const 700)))))`
}

func TestClusterHostCalls(t *testing.T) {
	fc := &fakeCluster{}
	k := newKernel(t, Config{AllowAll: true, Cluster: fc})
	run := func(k *Kernel, place string) int {
		t.Helper()
		return wait(t, spawn(t, k, watModule(t, k, "placer", clusterWAT(place)), SpawnOptions{}), 20*time.Second).ExitCode
	}
	if code := run(k, "any;need=driver=camera"); code != 77 || len(fc.spawn) != 1 || fc.spawn[0] != "b child [a b]" {
		t.Fatalf("proc_spawn_at any: exit %d, spawns %v", code, fc.spawn)
	}
	if code := run(k, "pid"); code != 88 {
		t.Fatalf("node_pid: exit %d, want 88 (788 - 700)", code)
	}
	if code := run(k, "node=zz"); code != 5 {
		t.Fatalf("proc_spawn_at on a node that is not up: exit %d, want 5 (ERR_NOT_FOUND)", code)
	}
	plain := newKernel(t, Config{AllowAll: true})
	if code := run(plain, "any"); code != 5 {
		t.Fatalf("proc_spawn_at without a cluster: exit %d, want 5", code)
	}
}
