package faults

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

func TestMain(m *testing.M) {
	installChild() // the installer TestInstallKilledAtEachStep kills; returns when not asked
	testenv.ShareCompiledModules()
	os.Exit(testenv.Main(m))
}

// home returns a fresh Orbital home holding the given policy files (name -> TOML).
func home(t *testing.T, policies map[string]string) string {
	t.Helper()
	h := testenv.Home(t)
	if len(policies) > 0 {
		dir := filepath.Join(h, "policies")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, body := range policies {
			if err := os.WriteFile(filepath.Join(dir, name+".toml"), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return h
}

// wat compiles src and writes it as dir/name.wasm (the module is named after the file).
func wat(t *testing.T, dir, name, src string) string {
	t.Helper()
	wasm, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatalf("wat %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".wasm")
	if err := os.WriteFile(p, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// result is how one run of the binary ended.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
	maxRSS         int64 // peak resident memory of the orbital process, bytes
}

// orbital runs the binary with args to its end, or kills it after limit (a fault that
// hangs is a failed test, not a hung suite).
func orbital(t *testing.T, limit time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Binary(t), args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: o.String(), stderr: e.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("orbital %v still running after %v\nstderr:\n%s", args, limit, r.stderr)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss << 10
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("orbital %v: %v", args, err)
	}
	return r
}

// start starts the binary in the background (through sh when prefix, e.g. "ulimit -n 64;",
// is set) and stops it when the test ends. It returns the command.
func start(t *testing.T, prefix string, args ...string) (*exec.Cmd, *testenv.SyncBuffer) {
	t.Helper()
	bin := testenv.Binary(t)
	var cmd *exec.Cmd
	if prefix != "" {
		cmd = exec.Command("sh", append([]string{"-c", prefix + ` exec "$0" "$@"`, bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	e := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = e, e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return cmd, e
}

// waiterWAT is a module that waits for messages until it is asked to quit.
const waiterWAT = `(module
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $l
      (br_if $l (i32.ne (call $recv (i32.const 0) (i32.const 4096) (i64.const -1)) (i32.const -10))))))`

// running starts `orbital run` of the waiter module in h (after prefix, see start) and
// returns once `orbital ps` reaches it.
func running(t *testing.T, h, prefix string) *testenv.SyncBuffer {
	t.Helper()
	mod := wat(t, t.TempDir(), "waiter", waiterWAT)
	_, out := start(t, prefix, "run", "--home", h, mod)
	testenv.Eventually(t, func() bool {
		_, _, code := psOf(t, h)
		return code == 0
	}, 60*time.Second, "orbital ps to reach the instance; its output:\n%s", out)
	return out
}

// psOf runs `orbital ps --home h`.
func psOf(t *testing.T, h string) (string, string, int) {
	t.Helper()
	r := orbital(t, 30*time.Second, "ps", "--home", h)
	return r.stdout, r.stderr, r.code
}
