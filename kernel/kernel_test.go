package kernel

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

func TestStoreLayout(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m := watModule(t, k, "exit0", wat(`(func (export "_start"))`))
	p := spawn(t, k, m, SpawnOptions{})
	wait(t, p, 5*time.Second)
	// storePtr's assumption about wasmtime.Store's layout, checked against the public API.
	if !storeLayoutOK(newTestStore(k)) {
		t.Fatal("wasmtime.Store layout changed: storePtr no longer finds the C store")
	}
}

func TestSpawnWaitExitCode(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	tests := []struct {
		name  string
		body  string
		state State
		code  int
	}{
		{"return", `(func (export "_start"))`, Exited, 0},
		{"proc-exit-0", `(func (export "_start") (call $exit (i32.const 0)))`, Exited, 0},
		{"proc-exit-7", `(func (export "_start") (call $exit (i32.const 7)))`, Exited, 7},
		{"trap", `(func (export "_start") unreachable)`, Crashed, ExitCrashed},
		{"div-zero", `(func (export "_start") (drop (i32.div_s (i32.const 1) (i32.const 0))))`, Crashed, ExitCrashed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := spawn(t, k, watModule(t, k, tc.name, wat(tc.body)), SpawnOptions{})
			in := wait(t, p, 5*time.Second)
			if in.State != tc.state || in.ExitCode != tc.code {
				t.Fatalf("state %v code %d (%s), want %v code %d", in.State, in.ExitCode, in.Reason, tc.state, tc.code)
			}
			if in.Ended.IsZero() || in.Started.IsZero() || in.Digest == "" || in.Kind != "app" {
				t.Fatalf("incomplete info: %+v", in)
			}
		})
	}
}

func TestTrapReason(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	p := spawn(t, k, watModule(t, k, "trap", wat(`(func (export "_start") unreachable)`)), SpawnOptions{})
	in := wait(t, p, 5*time.Second)
	if !strings.Contains(in.Reason, "unreachable") {
		t.Fatalf("reason %q does not name the trap", in.Reason)
	}
}

func TestHelloGoGuest(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true, Home: testenv.Home(t)})
	m, err := k.LoadFile(testenv.Module(t, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	p := spawn(t, k, m, SpawnOptions{Stdout: out})
	in := wait(t, p, 30*time.Second)
	if in.State != Exited || in.ExitCode != 0 {
		t.Fatalf("hello: %v %d %s", in.State, in.ExitCode, in.Reason)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(strings.ToLower(string(b)), "hello") {
		t.Fatalf("hello printed %q", b)
	}
	if in.CPU <= 0 || in.Memory <= 0 {
		t.Fatalf("cpu %v memory %d not sampled", in.CPU, in.Memory)
	}
}

func TestArgsEnvPreopen(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	dir := t.TempDir()
	_, err := k.Spawn(watModule(t, k, "m", wat(`(func (export "_start"))`)), SpawnOptions{
		Env: []string{"NOEQUALS"},
	})
	if err == nil || !strings.Contains(err.Error(), "NOEQUALS") {
		t.Fatalf("bad env entry: err %v", err)
	}
	_, err = k.Spawn(watModule(t, k, "m", wat(`(func (export "_start"))`)), SpawnOptions{
		Dirs: []Preopen{{Host: filepath.Join(dir, "missing"), Guest: "/data"}},
	})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing preopen: err %v", err)
	}
	p := spawn(t, k, watModule(t, k, "m", wat(`(func (export "_start"))`)), SpawnOptions{
		Env: []string{"A=1"}, Args: []string{"x"}, Dirs: []Preopen{{Host: dir, Guest: "/data"}},
	})
	if in := wait(t, p, 5*time.Second); in.State != Exited {
		t.Fatalf("%+v", in)
	}
}

func TestListAndInfo(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	a := spawn(t, k, watModule(t, k, "a", wat(`(func (export "_start"))`)), SpawnOptions{})
	b := spawn(t, k, watModule(t, k, "b", wat(watLoop)), SpawnOptions{Name: "looper"})
	wait(t, a, 5*time.Second)
	waitState(t, b, Running, 5*time.Second)
	list := k.List()
	if len(list) != 2 || list[0].PID != a.PID() || list[1].Name != "looper" || list[1].State != Running {
		t.Fatalf("List = %+v", list)
	}
	if _, err := k.Info(9999); !errors.Is(err, ErrNoProcess) {
		t.Fatalf("Info(9999) err = %v", err)
	}
	k.Kill(b.PID(), true)
	wait(t, b, 5*time.Second)
	k.Forget(a.PID())
	if len(k.List()) != 1 {
		t.Fatalf("Forget did not remove pid %d", a.PID())
	}
}

func TestCloseKillsEverything(t *testing.T) {
	k, err := New(Config{AllowAll: true})
	if err != nil {
		t.Fatal(err)
	}
	m := watModule(t, k, "loop", wat(watLoop))
	var ps []*Process
	for i := 0; i < 3; i++ {
		ps = append(ps, spawn(t, k, m, SpawnOptions{Limits: Limits{Deadline: -1}}))
	}
	k.Close()
	k.Close()
	for _, p := range ps {
		wait(t, p, time.Second)
	}
	if _, err := k.Spawn(m, SpawnOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Spawn after Close: %v", err)
	}
	_ = context.Background
}

func TestABIVersionCheck(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	for _, tc := range []struct {
		v  string
		ok bool
	}{{"1", true}, {"2", false}} {
		m := watModule(t, k, "v"+tc.v, `(module (func (export "orbital_abi_version") (result i32) (i32.const `+tc.v+`))
			(func (export "_start")))`)
		p, err := k.Spawn(m, SpawnOptions{})
		if tc.ok {
			if err != nil {
				t.Fatalf("v%s: %v", tc.v, err)
			}
			wait(t, p, 5*time.Second)
		} else if err == nil || !strings.Contains(err.Error(), "needs host ABI v2; this kernel provides v1") {
			t.Fatalf("v%s: err = %v", tc.v, err)
		}
	}
}
