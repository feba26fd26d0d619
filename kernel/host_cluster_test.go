package kernel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/policies"
)

// fakeCluster places every spawn with a placement on node "b".
type fakeCluster struct {
	mu    sync.Mutex
	spawn []string
	reqs  []RemoteSpawn
	kids  []*fakeChild
}

// fakeChild is a child on node "b": it ends when the test closes done.
type fakeChild struct {
	done  chan struct{}
	stops chan bool
}

func (f *fakeChild) PID() bus.PID          { return 777 }
func (f *fakeChild) Done() <-chan struct{} { return f.done }
func (f *fakeChild) Exit() (int, string)   { return 3, "exited on node b" }
func (f *fakeChild) Stop(force bool)       { f.stops <- force }
func (f *fakeCluster) last() (RemoteSpawn, *fakeChild, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.kids) == 0 {
		return RemoteSpawn{}, nil, false
	}
	return f.reqs[len(f.reqs)-1], f.kids[len(f.kids)-1], true
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

func (f *fakeCluster) SpawnOn(_ context.Context, req RemoteSpawn) (RemoteChild, error) {
	kid := &fakeChild{done: make(chan struct{}), stops: make(chan bool, 4)}
	f.mu.Lock()
	f.spawn = append(f.spawn, fmt.Sprint(req.Node, " ", req.Name, " ", req.Args))
	f.reqs = append(f.reqs, req)
	f.kids = append(f.kids, kid)
	f.mu.Unlock()
	return kid, nil
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

// remoteParentWAT spawns "child" on node b (proc_spawn_at), then receives until a kind 18
// message and exits with the code it carries (plus 100 unless it names the child's pid).
const remoteParentWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "proc_spawn_at" (func $at (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "child") (data (i32.const 300) "node=b")
  (func (export "_start") (local $pid i32)
    (local.set $pid (call $at (i32.const 100) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 300) (i32.const 6)))
    (if (i32.lt_s (local.get $pid) (i32.const 0)) (then (call $exit (i32.const 99))))
    (loop $l
      (drop (call $recv (i32.const 1024) (i32.const 4096) (i64.const -1)))
      (br_if $l (i32.ne (i32.load (i32.const 1024)) (i32.const 18))))
    (call $exit (i32.add (i32.load (i32.const 1076))
      (select (i32.const 0) (i32.const 100) (i32.eq (i32.load (i32.const 1072)) (local.get $pid)))))))`

// A child placed on another node is a child: the parent's namespace travels with the spawn
// (its bound), its end arrives as kind 18 with the pid that stands for it, and the parent's
// end asks it to quit. A kernel without policies refuses to run a child it cannot bound.
func TestRemoteChild(t *testing.T) {
	fc := &fakeCluster{}
	st := policyHome(t, map[string]string{"parent.toml": "[module]\nmatch = \"parent\"\n[process]\nspawn = [\"child\"]\n[bus]\npublish = [\"open.>\"]\n"})
	k := newKernel(t, Config{Policies: st, Cluster: fc})
	m := watModule(t, k, "parent", remoteParentWAT)
	p := spawn(t, k, m, SpawnOptions{})
	var req RemoteSpawn
	var kid *fakeChild
	testenv.Eventually(t, func() bool { var ok bool; req, kid, ok = fc.last(); return ok }, 20*time.Second, "the remote spawn")
	if b := req.Bound; b == nil || len(b.Publish) != 1 || b.Publish[0].Value != "open.>" || len(b.Spawn) != 1 || b.Direct.On || req.Parent != p.PID() {
		t.Fatalf("the bound sent with the spawn: %+v", req)
	}
	close(kid.done)
	if in := wait(t, p, 20*time.Second); in.ExitCode != 3 {
		t.Fatalf("parent exited %d (%s), want 3: the remote child's code in a kind 18 naming its pid", in.ExitCode, in.Reason)
	}

	p = spawn(t, k, m, SpawnOptions{})
	testenv.Eventually(t, func() bool { _, k2, ok := fc.last(); return ok && k2 != kid }, 20*time.Second, "the second remote spawn")
	_, kid, _ = fc.last()
	k.Kill(p.PID(), true)
	select {
	case force := <-kid.stops:
		if force {
			t.Fatal("the parent's end killed its remote child at once; want a quit request")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the parent ended and its remote child was not asked to quit")
	}

	open := newKernel(t, Config{AllowAll: true})
	if _, err := open.Spawn(watModule(t, open, "child", remoteParentWAT), SpawnOptions{Bound: &policies.Grants{}}); !errors.Is(err, bus.ErrDenied) {
		t.Fatalf("a bounded child on a kernel without policies: %v", err)
	}
}

// A send to a pid of another node waits for that node's acknowledgement as a blocked call,
// whatever its timeout (0 included): never inside TrySend, where nothing could end the wait.
// Here the other node never answers: a kill must still end the sender.
func TestSendRemoteBlocks(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	entered := make(chan struct{}, 1)
	if _, err := k.Bus().AttachRemote(4000, bus.InboxLimits{}, func(ctx context.Context, m bus.Message) error {
		entered <- struct{}{}
		<-ctx.Done() // the other node never acknowledges
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	m := watModule(t, k, "sender", `(module
  (import "orbital" "send" (func $send (param i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $send (i32.const 4000) (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0) (i64.const 0)))))`)
	p := spawn(t, k, m, SpawnOptions{})
	select {
	case <-entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the send never reached the remote endpoint")
	}
	k.Kill(p.PID(), true)
	if in := wait(t, p, 20*time.Second); in.ExitCode != ExitKilled {
		t.Fatalf("the sender ended %v %d (%s), want killed", in.State, in.ExitCode, in.Reason)
	}
}
