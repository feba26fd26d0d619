package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

var (
	rootOnce sync.Once
	root     string

	binMu  sync.Mutex
	binDir string
	built  = map[string]string{}
)

// RepoRoot is the directory that holds go.mod.
func RepoRoot() string {
	rootOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	})
	return root
}

func buildDir(t testing.TB) string {
	if binDir == "" {
		d, err := os.MkdirTemp("", "orbital-testenv-")
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		binDir = d
	}
	return binDir
}

// Binary returns the path of the orbital binary, building it on first use.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ORBITAL_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("testenv: $ORBITAL_BIN=%s: %v", p, err)
		}
		return p
	}
	binMu.Lock()
	defer binMu.Unlock()
	if p, ok := built["orbital"]; ok {
		return p
	}
	out := filepath.Join(buildDir(t), "orbital")
	run(t, RepoRoot(), nil, "go", "build", "-o", out, "./cmd/orbital")
	built["orbital"] = out
	return out
}

// Module returns the path of modules/<name> built to WASM, building it on first use.
// A module directory holding a file named "reactor" is built with -buildmode=c-shared.
func Module(t testing.TB, name string) string {
	t.Helper()
	if d := os.Getenv("ORBITAL_MODULES"); d != "" {
		p := filepath.Join(d, name+".wasm")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	binMu.Lock()
	defer binMu.Unlock()
	key := "module:" + name
	if p, ok := built[key]; ok {
		return p
	}
	src := filepath.Join(RepoRoot(), "modules", name)
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("testenv: no module source %s: %v", src, err)
	}
	out := filepath.Join(buildDir(t), name+".wasm")
	args := []string{"build", "-o", out}
	if _, err := os.Stat(filepath.Join(src, "reactor")); err == nil {
		args = append(args, "-buildmode=c-shared")
	}
	args = append(args, "./"+name)
	env := []string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"}
	run(t, filepath.Join(RepoRoot(), "modules"), env, "go", args...)
	built[key] = out
	return out
}

// Home returns a fresh Orbital home for one test. In a test binary that called
// ShareCompiledModules its compile cache shares the binary's compiled modules (ShareCompileCache),
// so each module is compiled once per test binary, not once per test.
func Home(t testing.TB) string {
	t.Helper()
	h := t.TempDir()
	if shareHomes.Load() {
		ShareCompileCache(t, h)
	}
	return h
}

// FreshHome returns an empty Orbital home whose compile cache starts empty: for the tests that
// look at the cache itself.
func FreshHome(t testing.TB) string {
	t.Helper()
	return t.TempDir()
}

var shareHomes atomic.Bool

// ShareCompiledModules makes every Home of this test binary share compiled modules. Call it
// from TestMain, before m.Run; the end-to-end packages do, since compiling a Go module in
// every test's home was most of their run time.
func ShareCompiledModules() { shareHomes.Store(true) }

func run(t testing.TB, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("testenv: %s %v in %s: %v\n%s", name, args, dir, err, out.String())
	}
}

// Main wraps a package's TestMain so temporary builds are removed afterwards.
func Main(m interface{ Run() int }) int {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	return code
}
