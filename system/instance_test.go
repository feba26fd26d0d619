package system

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/registry"
)

// One instance per home: a second required lock names the holder's pid, a LockTry instance
// runs as a guest, and the lock is free again once the owner closed.
func TestHomeLock(t *testing.T) {
	home := testenv.Home(t)
	owner, _ := start(t, Config{Home: home})
	if !owner.Owner() {
		t.Fatal("the first instance does not own the home")
	}
	second, err := New(Config{Home: home, Stderr: &testenv.SyncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	err = second.Start(t.Context())
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || !strings.Contains(err.Error(), "in use by orbital pid") {
		t.Fatalf("second Start: %v, want a LockedError naming pid %d", err, os.Getpid())
	}
	second.Close()
	guest, out := start(t, Config{Home: home, Lock: LockTry, Panel: true})
	if guest.Owner() || guest.PanelURL() != "" || !strings.Contains(out.String(), "running beside it") {
		t.Fatalf("guest: owner=%v panel=%q output %q", guest.Owner(), guest.PanelURL(), out.String())
	}
	owner.Close()
	if _, err := lockHome(home); err != nil {
		t.Fatalf("after Close the home is still locked: %v", err)
	}
}

// A failed Start undoes what it started: the lock is released.
func TestStartRollsBack(t *testing.T) {
	home := testenv.Home(t)
	os.MkdirAll(filepath.Join(home, "registry"), 0o755)
	os.WriteFile(filepath.Join(home, "config.toml"), []byte("[registry\n"), 0o644) // the registry refuses it
	in, err := New(Config{Home: home, Stderr: &testenv.SyncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(t.Context()); err == nil {
		t.Fatal("Start with a broken config.toml succeeded")
	}
	if l, err := lockHome(home); err != nil {
		t.Fatalf("the failed Start left the home locked: %v", err)
	} else {
		l.release()
	}
	in.Close()
}

// An installed module runs with its manifest's identity; one whose installed manifest cannot be
// read is refused with the reason, never run with policy alone.
func TestIdentity(t *testing.T) {
	home := testenv.Home(t)
	installAs(t, home, "jobprobe", "waitid", "[permissions.ui]\nwindows = true\n")
	in, _ := start(t, Config{Home: home})
	m, err := in.Load("waitid")
	if err != nil {
		t.Fatal(err)
	}
	so := kernel.SpawnOptions{}
	if _, err := in.identify(m, &so); err != nil || so.Version != "1.0.0" || so.Requests == nil || !so.Requests.Windows.On {
		t.Fatalf("identity: %v %+v", err, so)
	}
	bare, err := in.Load(testenv.Module(t, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	so = kernel.SpawnOptions{}
	if man, err := in.identify(bare, &so); err != nil || man != nil || so.Requests != nil {
		t.Fatalf("a module the registry does not hold: %v %v %+v", man, err, so)
	}
	mans, _ := filepath.Glob(filepath.Join(home, "registry", "modules", "waitid", "*", "module.toml"))
	if len(mans) != 1 || os.WriteFile(mans[0], []byte("name = \"waitid\"\n"), 0o644) != nil {
		t.Fatalf("manifests %v", mans)
	}
	if _, err := in.Spawn(m, kernel.SpawnOptions{}, "test"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("spawn with a tampered manifest: %v, want refused", err)
	}
}

// The panel's Restart starts the module again with output of its own (the respawn used to
// reuse the ended process's pipe: "stdout /proc/self/fd/N: failed to open file"), for a module
// started by the instance and for a proc_spawn child.
func TestRestart(t *testing.T) {
	in, _ := start(t, Config{})
	m, err := in.Load(testenv.Module(t, "jobprobe"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := in.Spawn(m, kernel.SpawnOptions{Name: "waiter"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, func() bool { return logHas(in, p.PID(), "waiting as pid") }, 10*time.Second, "the first output")
	for i := range 2 {
		if err := in.ctl.Restart(uint32(p.PID())); err != nil {
			t.Fatalf("restart %d: %v", i, err)
		}
		rows := in.ctl.Processes()
		var np kernel.Info
		for _, info := range in.k.List() {
			if info.Name == "waiter" && !info.State.Done() {
				np = info
			}
		}
		if np.PID == 0 || np.PID == p.PID() {
			t.Fatalf("after restart %d: no new waiter (%+v)", i, rows)
		}
		testenv.Eventually(t, func() bool { return logHas(in, np.PID, "waiting as pid") }, 10*time.Second, "the restarted module's output")
		row := rowOf(rows, np.PID)
		if row.Restarts != i+1 || !strings.Contains(row.StartedBy, "restart of pid") {
			t.Fatalf("row after restart %d: %+v", i, row)
		}
		p = in.k.Process(np.PID)
	}
}

func rowOf(rows []admin.Proc, pid bus.PID) admin.Proc {
	for _, r := range rows {
		if r.PID == uint32(pid) {
			return r
		}
	}
	return admin.Proc{}
}

// The bar's registry source: orbital:// names, installed names, search words, and what is not
// its business.
func TestRegistrySource(t *testing.T) {
	home := testenv.Home(t)
	installAs(t, home, "hello", "greeter", "description = \"says hello\"\n")
	in, _ := start(t, Config{Home: home})
	ctx := context.Background()
	m, ok, err := in.registrySource(ctx, "orbital://greeter@^1", nil)
	if err != nil || !ok || m.Name != "greeter" {
		t.Fatalf("orbital://greeter: ok=%v err=%v name=%q", ok, err, m.Name)
	}
	if m, ok, err := in.registrySource(ctx, "greeter", nil); !ok || err != nil || m.Name != "greeter" {
		t.Fatalf("installed name: ok=%v err=%v", ok, err)
	}
	if _, ok, _ := in.registrySource(ctx, "clock", nil); ok {
		t.Fatal("a name the registry does not have was claimed (the module directories must get it)")
	}
	if _, ok, _ := in.registrySource(ctx, "http://127.0.0.1:1/x.wasm", nil); ok {
		t.Fatal("an http URL was claimed")
	}
	if _, ok, err := in.registrySource(ctx, "orbital://nosuch", nil); !ok || !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("orbital://nosuch: ok=%v err=%v", ok, err)
	}
	if _, err := in.find(ctx, "no such thing:", nil); err == nil {
		t.Fatal("nonsense found a module")
	}
}

func TestOpensWindow(t *testing.T) {
	const create = `(import "orbital" "surface_create" (func (param i32 i32 i32 i32) (result i32)))`
	for _, tt := range []struct {
		name, wat string
		want      bool
	}{
		{"imports surface_create", `(module ` + create + `)`, true},
		{"after table, memory and global imports", `(module
			(import "env" "t" (table 1 2 funcref))
			(import "env" "m" (memory 1 2))
			(import "env" "g" (global (mut i32)))
			` + create + `)`, true},
		{"log only", `(module (import "orbital" "log" (func (param i32 i32 i32) (result i32))))`, false},
		{"no imports", `(module (func (export "_start")))`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wasm, err := wasmtime.Wat2Wasm(tt.wat)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "m.wasm")
			os.WriteFile(p, wasm, 0o644)
			if got := opensWindow(p); got != tt.want {
				t.Fatalf("opensWindow = %v, want %v", got, tt.want)
			}
		})
	}
	junk := filepath.Join(t.TempDir(), "junk.wasm")
	os.WriteFile(junk, []byte("\x00asm\x01\x00\x00\x00\x02\xff\xff\xff\xff\x0f"), 0o644)
	if opensWindow(junk) {
		t.Fatal("a truncated import section counts as a window")
	}
}
