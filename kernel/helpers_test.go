package kernel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// logSink collects guest log lines.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) log(pid bus.PID, name string, level int, line string) {
	l.mu.Lock()
	l.lines = append(l.lines, name+": "+line)
	l.mu.Unlock()
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newKernel(t testing.TB, cfg Config) *Kernel {
	t.Helper()
	if cfg.Log == nil {
		sink := &logSink{}
		cfg.Log = sink.log
	}
	k, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(k.Close)
	return k
}

// watModule compiles a WAT test module.
func watModule(t testing.TB, k *Kernel, name, wat string) *Module {
	t.Helper()
	wasm, err := wasmtime.Wat2Wasm(wat)
	if err != nil {
		t.Fatalf("wat2wasm %s: %v", name, err)
	}
	m, err := k.Load(name, name+".wasm", wasm)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return m
}

func spawn(t testing.TB, k *Kernel, m *Module, o SpawnOptions) *Process {
	t.Helper()
	if o.Stdout == "" {
		o.Stdout = filepath.Join(t.TempDir(), "stdout")
	}
	if o.Stderr == "" {
		o.Stderr = filepath.Join(t.TempDir(), "stderr")
	}
	p, err := k.Spawn(m, o)
	if err != nil {
		t.Fatalf("spawn %s: %v", m.Name, err)
	}
	return p
}

func wait(t testing.TB, p *Process, within time.Duration) Info {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	in, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("%s did not end within %v (state %v)", p.Name(), within, in.State)
	}
	return in
}

// waitState polls until p reaches s.
func waitState(t testing.TB, p *Process, s State, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for p.Info().State != s {
		if time.Now().After(deadline) {
			t.Fatalf("%s: state %v, want %v within %v", p.Name(), p.Info().State, s, within)
		}
		time.Sleep(time.Millisecond)
	}
}

// wat wraps a body in a module that imports the functions tests use.
func wat(body string) string {
	return `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (import "orbital" "time_monotonic" (func $now (result i64)))
  (import "orbital" "surface_create" (func $surface_create (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wat")
` + body + `)`
}

const watLoop = `(func (export "_start") (loop $l (br $l)))`
