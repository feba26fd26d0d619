package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

// idleWAT waits in recv forever: the smallest idle module.
const idleWAT = `(module
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (loop $l (drop (call $recv (i32.const 0) (i32.const 0) (i64.const -1))) (br $l))))`

// TestThousandIdleModules: one `orbital run` instance holds 1,000 idle tiny modules, and
// `orbital ps` lists every one of them. The instance's resident memory per module is logged.
func TestThousandIdleModules(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 1,000 processes")
	}
	const n = 1000
	wasm, err := wasmtime.Wat2Wasm(idleWAT)
	if err != nil {
		t.Fatal(err)
	}
	home := testenv.Home(t)
	path := filepath.Join(t.TempDir(), "idle.wasm")
	if err := os.WriteFile(path, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--home", home}
	for range n {
		args = append(args, path)
	}
	o := startBackground(t, nil, args...)
	var ps string
	testenv.Eventually(t, func() bool {
		o.running(t)
		out, _, code := orbitalCmd(t, "ps", "--home", home)
		ps = out
		return code == 0 && strings.Count(out, "blocked") >= n
	}, 2*time.Minute, "orbital ps to list 1,000 blocked modules")
	pids := map[string]bool{}
	for _, l := range strings.Split(ps, "\n") {
		if f := strings.Fields(l); len(f) > 1 && strings.Contains(l, "idle") && strings.Contains(l, "blocked") {
			pids[f[0]] = true
		}
	}
	if len(pids) != n {
		t.Fatalf("orbital ps lists %d distinct idle modules, want %d:\n%s", len(pids), n, ps)
	}
	if st, err := os.ReadFile("/proc/" + strconv.Itoa(o.cmd.Process.Pid) + "/status"); err == nil {
		for _, l := range strings.Split(string(st), "\n") {
			if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "Threads:") {
				t.Logf("instance with %d idle modules: %s", n, strings.Join(strings.Fields(l), " "))
			}
		}
	}
}
