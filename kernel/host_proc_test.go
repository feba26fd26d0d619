package kernel

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
)

// procImports declares what the proc_spawn tests' modules use.
const procImports = `
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (import "orbital" "publish" (func $publish (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "orbital" "proc_spawn" (func $spawn (param i32 i32 i32 i32) (result i32)))
  (import "orbital" "proc_kill" (func $kill (param i32 i32) (result i32)))
  (memory (export "memory") 1)
`

// testLauncher launches WAT modules by name.
type testLauncher struct {
	mu   sync.Mutex
	mods map[string]*Module
}

func (l *testLauncher) Launch(_ bus.PID, name string) (*Module, SpawnOptions, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.mods[name]
	if !ok {
		return nil, SpawnOptions{}, fmt.Errorf("%w: %s", ErrNoModule, name)
	}
	return m, SpawnOptions{Name: name}, nil
}

func (l *testLauncher) Started(bus.PID, *Process, error) {}

// parentWAT spawns the module named at offset 100 (with args "a\0b"), then, depending on
// then: "wait" receives messages until a KindExit and exits with the child's exit code (or
// 100 + the code of a failed spawn); "kill" kills the child at once and exits 0 if the exit
// message says 137; "leave" exits 0 at once, leaving the child running.
func parentWAT(child, then string) string {
	body := map[string]string{
		"wait":  ``,
		"kill":  `(if (i32.ne (call $kill (local.get $c) (i32.const 1)) (i32.const 0)) (then (call $exit (i32.const 110))))`,
		"leave": `(call $exit (i32.const 0))`,
	}[then]
	result := `(call $exit (i32.load (i32.const 1052)))`
	if then == "kill" {
		result = `(call $exit (i32.ne (i32.load (i32.const 1052)) (i32.const 137)))`
	}
	return `(module` + procImports + `
  (data (i32.const 100) "` + child + `")
  (data (i32.const 200) "a\00b")
  (func (export "_start") (local $c i32)
    (local.set $c (call $spawn (i32.const 100) (i32.const ` + fmt.Sprint(len(child)) + `) (i32.const 200) (i32.const 3)))
    (if (i32.le_s (local.get $c) (i32.const 0)) (then (call $exit (i32.sub (i32.const 100) (local.get $c)))))
    ` + body + `
    (loop $l
      (if (i32.lt_s (call $recv (i32.const 1000) (i32.const 4096) (i64.const -1)) (i32.const 0)) (then (call $exit (i32.const 111))))
      (br_if $l (i32.ne (i32.load (i32.const 1000)) (i32.const 18)))
      (if (i32.ne (i32.load (i32.const 1048)) (local.get $c)) (then (call $exit (i32.const 112)))))
    ` + result + `))`
}

// childWAT publishes on "x.b" and exits with the negated result (5: allowed, but nobody
// subscribes; 6: denied).
const childWAT = `(module` + procImports + `
  (data (i32.const 100) "x.b")
  (func (export "_start")
    (call $exit (i32.sub (i32.const 0) (call $publish (i32.const 100) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))))`

const loopChildWAT = `(module` + procImports + `
  (func (export "_start") (loop $l (br $l))))`

func procKernel(t *testing.T, st *policies.Store) (*Kernel, *testLauncher) {
	t.Helper()
	l := &testLauncher{mods: map[string]*Module{}}
	k := newKernel(t, Config{Policies: st, AllowAll: st == nil, Launcher: l, QuitGrace: 100 * time.Millisecond}) // nil st: no checks, said explicitly
	l.mods["kid"] = watModule(t, k, "kid", childWAT)
	l.mods["looper"] = watModule(t, k, "looper", loopChildWAT)
	return k, l
}

// TestProcSpawn: a parent starts a child by name and learns its exit code from a KindExit
// message; an unknown name is ERR_NOT_FOUND; proc_kill ends a child at once; a parent's end
// asks its children to quit; the child's Info names its parent.
func TestProcSpawn(t *testing.T) {
	k, _ := procKernel(t, nil)
	for _, tc := range []struct {
		name, child, then string
		want              int
	}{
		{"waits", "kid", "wait", int(-errNotFound)}, // kid published: nobody subscribes to x.b
		{"unknown", "nobody", "wait", 100 + 5},
		{"kills", "looper", "kill", 0},
	} {
		p := spawn(t, k, watModule(t, k, "parent-"+tc.name, parentWAT(tc.child, tc.then)), SpawnOptions{})
		if in := wait(t, p, 10*time.Second); in.ExitCode != tc.want {
			t.Errorf("%s: parent exit %d (%s), want %d", tc.name, in.ExitCode, in.Reason, tc.want)
		}
	}
	p := spawn(t, k, watModule(t, k, "leaver", parentWAT("looper", "leave")), SpawnOptions{})
	wait(t, p, 10*time.Second)
	var kid *Process
	for _, in := range k.List() {
		if in.Parent == p.PID() {
			kid = k.Process(in.PID)
		}
	}
	if kid == nil {
		t.Fatal("the leaver's child is not in the process table with Parent set")
	}
	if in := wait(t, kid, 5*time.Second); !in.State.Done() || !strings.Contains(in.Reason, "quit") {
		t.Errorf("orphaned child: %+v", in)
	}
}

// TestProcSpawnPolicy: spawning needs process.spawn to name the module (a denial is audited),
// and the child's namespace is its own intersected with its parent's: kid's policy grants
// publish on x.>, but its parent only holds x.a, so kid may not publish on x.b.
func TestProcSpawnPolicy(t *testing.T) {
	st := policyHome(t, map[string]string{
		"parent.toml": "[module]\nmatch = \"parent-*\"\n[process]\nspawn = [\"kid\"]\n[bus]\npublish = [\"x.a\"]\n",
		"wide.toml":   "[module]\nmatch = \"parent-wide\"\n[process]\nspawn = [\"kid\"]\n[bus]\npublish = [\"x.>\"]\n",
		"kid.toml":    "[module]\nmatch = \"kid\"\n[bus]\npublish = [\"x.>\"]\n",
	})
	k, _ := procKernel(t, st)
	for _, tc := range []struct {
		parent, child string
		want          int
	}{
		{"parent-narrow", "kid", int(-errDenied)},         // spawned, but its publish is cut to x.a
		{"parent-wide", "kid", int(-errNotFound)},         // the parent holds x.>: kid keeps it
		{"parent-narrow", "looper", 100 - int(errDenied)}, // process.spawn does not name looper
	} {
		p := spawn(t, k, watModule(t, k, tc.parent, parentWAT(tc.child, "wait")), SpawnOptions{})
		if in := wait(t, p, 10*time.Second); in.ExitCode != tc.want {
			t.Errorf("%s spawning %s: exit %d (%s), want %d", tc.parent, tc.child, in.ExitCode, in.Reason, tc.want)
		}
	}
	want := "kid publish x.b\nparent-narrow spawn looper"
	if got := auditLines(t, st); got != want {
		t.Errorf("audit:\n%s\nwant:\n%s", got, want)
	}
}
