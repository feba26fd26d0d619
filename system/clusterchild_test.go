package system

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/cluster"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/registry"
)

// installSigned installs wasm as the app name on home, signed with priv, with the manifest
// text extra.
func installSigned(t *testing.T, home string, wasm []byte, name, extra string, priv ed25519.PrivateKey) {
	t.Helper()
	dir := t.TempDir()
	man := "name = \"" + name + "\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = \"" + name + ".wasm\"\n" + extra
	os.WriteFile(filepath.Join(dir, "module.toml"), []byte(man), 0o644)
	os.WriteFile(filepath.Join(dir, name+".wasm"), wasm, 0o644)
	pkg, err := registry.PackDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := registry.Sign(pkg.Manifest, priv); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), name+".tar.gz")
	if err := registry.WriteArchive(pkg, file); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(home)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Install(context.Background(), file, registry.InstallOptions{}); err != nil {
		t.Fatalf("install %s: %v", name, err)
	}
}

func wat(t *testing.T, src string) []byte {
	t.Helper()
	b, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// twoNodes starts node a (home ha) and node b (home hb, joined to a) and waits until each
// sees the other up.
func twoNodes(t *testing.T, ha, hb string) (a, b *Instance, outA, outB *testenv.SyncBuffer) {
	t.Helper()
	a, outA = start(t, Config{Home: ha, Cluster: &ClusterConfig{Node: "a", Listen: "127.0.0.1:0"}})
	join, err := ClusterToken(ha, "")
	if err != nil {
		t.Fatal(err)
	}
	b, outB = start(t, Config{Home: hb, Cluster: &ClusterConfig{Node: "b", Listen: "127.0.0.1:0", Join: join}})
	for _, in := range []*Instance{a, b} {
		testenv.Eventually(t, func() bool {
			ns := in.Node().Nodes()
			return len(ns) == 2 && ns[0].State == "up" && ns[1].State == "up"
		}, 10*time.Second, "node %s to see both up", in.Node().Name())
	}
	return a, b, outA, outB
}

// runningPID is the pid of a live process of module name on in, 0 when none.
func runningPID(in *Instance, name string) bus.PID {
	for _, i := range in.Kernel().List() {
		if i.Name == name && !i.State.Done() {
			return i.PID
		}
	}
	return 0
}

// The guests of TestClusterRemoteChild. parent-NAME starts NAME on node b (proc_spawn_at) and
// exits with the code of the first kind 18 message it receives. probe publishes on open.x
// and secret.x and exits with 132 + 10 x -(the first result) - (the second): 188 is
// ERR_NOT_FOUND (allowed, nobody listens) then ERR_DENIED, and an exit code above 127 (an
// exit, not a crash: that would be 134). sleeper waits for its quit request, exits 0.
const (
	parentWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "proc_spawn_at" (func $at (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "%s") (data (i32.const 300) "node=b")
  (func (export "_start")
    (if (i32.lt_s (call $at (i32.const 100) (i32.const %d) (i32.const 0) (i32.const 0) (i32.const 300) (i32.const 6)) (i32.const 0))
      (then (call $exit (i32.const 99))))
    (loop $l
      (drop (call $recv (i32.const 1024) (i32.const 4096) (i64.const -1)))
      (br_if $l (i32.ne (i32.load (i32.const 1024)) (i32.const 18))))
    (call $exit (i32.load (i32.const 1076)))))`
	probeWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "publish" (func $pub (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "open.x") (data (i32.const 16) "secret.x")
  (func (export "_start")
    (call $exit (i32.sub (i32.sub (i32.const 132) (i32.mul (i32.const 10) (call $pub (i32.const 0) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))
      (call $pub (i32.const 16) (i32.const 8) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))))`
	sleeperWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $l
      (drop (call $recv (i32.const 1024) (i32.const 4096) (i64.const -1)))
      (br_if $l (i32.ne (i32.load (i32.const 1024)) (i32.const 17))))
    (call $exit (i32.const 0))))`
)

// Issue 15 follow-up, item 1: a module a process starts on another node (proc_spawn_at) is
// its child there. Its namespace is cut down to the parent's (probe may publish secret.> by
// node b's policy, its parent may not, so the child may not either), its end reaches the
// parent as kind 18, and the parent's end asks it to quit.
func TestClusterRemoteChild(t *testing.T) {
	ha, hb := testenv.Home(t), testenv.Home(t)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	installSigned(t, ha, wat(t, probeWAT), "probe", "[permissions.bus]\npublish = [\"open.>\", \"secret.>\"]\n", priv)
	installSigned(t, ha, wat(t, sleeperWAT), "sleeper", "", priv)
	for _, child := range []string{"probe", "sleeper"} {
		installWasm(t, ha, wat(t, fmt.Sprintf(parentWAT, child, len(child))), "parent-"+child, "app",
			"[permissions.process]\nspawn = [\"*\"]\n[permissions.bus]\npublish = [\"open.>\"]\n")
	}
	for h, pol := range map[string]string{
		ha: "[module]\nmatch = \"parent-*\"\n[process]\nspawn = [\"probe\", \"sleeper\"]\n[bus]\npublish = [\"open.>\"]\n",
		hb: "[module]\nmatch = \"probe\"\n[bus]\npublish = [\"open.>\", \"secret.>\"]\n",
	} {
		os.MkdirAll(filepath.Join(h, "policies"), 0o700)
		os.WriteFile(filepath.Join(h, "policies", "test.toml"), []byte(pol), 0o600)
	}
	regB, err := registry.Open(hb)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := registry.LoadTrust(regB.TrustPath())
	if err == nil {
		err = trust.Add(registry.PublicKeyString(pub))
	}
	if err != nil {
		t.Fatal(err)
	}
	a, b, outA, outB := twoNodes(t, ha, hb)
	run := func(name string) *kernel.Process {
		t.Helper()
		m, err := a.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.Spawn(m, kernel.SpawnOptions{}, "test")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	info, err := run("parent-probe").Wait(ctx)
	if err != nil {
		t.Fatalf("the parent did not end (its child's end never reached it?):\nnode a:\n%s\nnode b:\n%s", outA, outB)
	}
	if info.ExitCode != 188 {
		t.Fatalf("the parent exited %d (%s), want 188: its child on b may publish open.x (ERR_NOT_FOUND: nobody listens), not secret.x (ERR_DENIED)\nnode a:\n%s\nnode b:\n%s",
			info.ExitCode, info.Reason, outA, outB)
	}

	// A bound node b cannot read (tampered on the way, or from a misbehaving peer) refuses the
	// spawn; it never runs the child unbounded.
	for _, bad := range []string{`{"Publish":[{"Value":"secret.>"}],"Everything":true}`, `{"Memory":{"N":-1}}`, `[]`} {
		_, err := a.Node().SpawnChild(ctx, cluster.SpawnRequest{Module: "probe", Child: &cluster.ChildSpec{Parent: 1, Bound: []byte(bad)}}, "b")
		if err == nil || !strings.Contains(err.Error(), "bound") {
			t.Fatalf("a child with the bound %s: %v", bad, err)
		}
	}
	if pid := runningPID(b, "probe"); pid != 0 {
		t.Fatalf("probe runs on b (pid %v) after refused spawns", pid)
	}

	// The parent ends (killed): its child on b, which would wait forever, is asked to quit.
	p := run("parent-sleeper")
	var child bus.PID
	testenv.Eventually(t, func() bool { child = runningPID(b, "sleeper"); return child != 0 }, 30*time.Second, "sleeper running on b")
	a.Kernel().Kill(p.PID(), true)
	testenv.Eventually(t, func() bool { p := b.Kernel().Process(child); return p == nil || p.Info().State.Done() }, 15*time.Second,
		"sleeper on b to end after its parent on a did")
}
