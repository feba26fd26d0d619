package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// These tests drive the real binary: `orbital run` enforces the policies in --home.

// fsFixture lays out a preopen with escape bait: a file outside it, a relative and an absolute
// symlink pointing out, and a read-only directory.
type fsFixture struct {
	home, pre, ro, outside string
}

func newFSFixture(t *testing.T) fsFixture {
	t.Helper()
	root := t.TempDir()
	f := fsFixture{home: filepath.Join(root, "home"), pre: filepath.Join(root, "pre"), ro: filepath.Join(root, "ro"), outside: filepath.Join(root, "outside")}
	for _, d := range []string{f.home, f.pre, f.ro, f.outside, filepath.Join(f.pre, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(f.outside, "secret.txt"), "secret")
	writeFile(t, filepath.Join(f.pre, "inside.txt"), "inside")
	writeFile(t, filepath.Join(f.ro, "r.txt"), "read me")
	if err := os.Symlink("../outside/secret.txt", filepath.Join(f.pre, "rel-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.outside, filepath.Join(f.pre, "abs-link")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(f.home, "policies", "fsprobe.toml"), `[module]
match = "fsprobe"

[[fs]]
host = "`+f.pre+`"
guest = "/data"
mode = "rw"

[[fs]]
host = "`+f.ro+`"
guest = "/ro"
mode = "ro"
`)
	return f
}

func TestPolicyFSConfinement(t *testing.T) {
	f := newFSFixture(t)
	probe := testenv.Module(t, "fsprobe")
	ops := []struct {
		arg, want string
	}{
		{"read:/data/inside.txt", `OK read /data/inside.txt "inside"`},
		{"raw:/data:inside.txt", "OK raw /data:inside.txt"},
		{"raw:/data:../outside/secret.txt", "ERR raw /data:../outside/secret.txt"},
		{"raw:/data:sub/../../outside/secret.txt", "ERR raw /data:sub/../../outside/secret.txt"},
		{"raw:/data:" + f.outside + "/secret.txt", "ERR raw /data:" + f.outside + "/secret.txt"},
		{"read:" + f.outside + "/secret.txt", "ERR read " + f.outside + "/secret.txt"},
		{"raw:/data:rel-link", "ERR raw /data:rel-link"},
		{"raw:/data:abs-link/secret.txt", "ERR raw /data:abs-link/secret.txt"},
		{"read:/data/rel-link", "ERR read /data/rel-link"},
		{"list:/", "ERR list /"},
		{"write:/data/new.txt", "OK write /data/new.txt"},
		{"read:/ro/r.txt", `OK read /ro/r.txt "read me"`},
		{"write:/ro/r.txt", "ERR write /ro/r.txt"},
		{"write:/ro/new.txt", "ERR write /ro/new.txt"},
		{"rawwrite:/ro:new2.txt", "ERR rawwrite /ro:new2.txt"},
		{"mkdir:/ro/d", "ERR mkdir /ro/d"},
	}
	args := []string{"run", "--home", f.home, probe, "--"}
	for _, op := range ops {
		args = append(args, op.arg)
	}
	// Refused every time, not just once.
	for round := 0; round < 3; round++ {
		out, errOut, code := orbitalCmd(t, args...)
		if code != 0 {
			t.Fatalf("round %d: code %d\n%s\n%s", round, code, out, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != len(ops) {
			t.Fatalf("round %d: %d result lines for %d operations:\n%s\n%s", round, len(lines), len(ops), out, errOut)
		}
		for i, op := range ops {
			if !strings.HasPrefix(lines[i], op.want) {
				t.Errorf("round %d: %s: got %q, want prefix %q", round, op.arg, lines[i], op.want)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(f.ro, "r.txt")); err != nil || string(b) != "read me" {
		t.Errorf("read-only file changed: %q %v", b, err)
	}
	for _, p := range []string{filepath.Join(f.ro, "new.txt"), filepath.Join(f.ro, "new2.txt"), filepath.Join(f.ro, "d")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created in a read-only preopen", p)
		}
	}
	// Without a policy the same module sees no directory at all.
	out, _, _ := orbitalCmd(t, "run", "--home", t.TempDir(), probe, "--", "read:/data/inside.txt")
	if !strings.HasPrefix(out, "ERR read /data/inside.txt") {
		t.Errorf("default deny: %q", out)
	}
}

func TestPolicyBrokenRefusesStart(t *testing.T) {
	f := newFSFixture(t)
	path := filepath.Join(f.home, "policies", "fsprobe.toml")
	data, _ := os.ReadFile(path)
	writeFile(t, path, strings.Replace(string(data), `mode = "ro"`, `mode = "readonly"`, 1))
	out, errOut, code := orbitalCmd(t, "run", "--home", f.home, testenv.Module(t, "fsprobe"), "--", "read:/data/inside.txt")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "fsprobe.toml:12") || !strings.Contains(errOut, "fs.1.mode") {
		t.Fatalf("broken policy: code %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	// A preopen whose host directory is missing refuses the module too.
	os.RemoveAll(f.ro)
	writeFile(t, path, string(data))
	_, errOut, code = orbitalCmd(t, "run", "--home", f.home, testenv.Module(t, "fsprobe"))
	if code != exitUsage || !strings.Contains(errOut, "fsprobe.toml:10") || !strings.Contains(errOut, "not a directory") {
		t.Fatalf("missing preopen: code %d\nstderr %q", code, errOut)
	}
}

// pubprobe runs modules/pubprobe under name (a copy of the .wasm named name.wasm).
func pubprobe(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(testenv.Module(t, "pubprobe"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name+".wasm")
	if err := os.WriteFile(p, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyPublish(t *testing.T) {
	home := testenv.Home(t)
	writeFile(t, filepath.Join(home, "policies", "pubprobe.toml"), "[module]\nmatch = \"pubprobe\"\n\n[bus]\npublish = [\"granted.>\"]\n")
	out, errOut, code := orbitalCmd(t, "run", "--home", home, pubprobe(t, "pubprobe"), "--", "granted.x", "denied.y")
	if code != 0 || !strings.Contains(out, "OK publish granted.x") || !strings.Contains(out, "ERR publish denied.y: orbital: ERR_DENIED") {
		t.Fatalf("code %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if !strings.Contains(errOut, `denied: policies: pubprobe may not publish "denied.y": no grant`) {
		t.Errorf("denial not in the kernel log: %s", errOut)
	}
	out, _, code = orbitalCmd(t, "audit", "--home", home, "--module", "pubprobe")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "publish") || !strings.Contains(lines[1], "denied.y") || !strings.Contains(lines[1], "no grant") {
		t.Fatalf("audit: code %d\n%s", code, out)
	}

	// A module no policy matches: default deny, and the message says how to grant.
	_, errOut, _ = orbitalCmd(t, "run", "--home", home, pubprobe(t, "stranger"), "--", "granted.x")
	if !strings.Contains(errOut, "orbital policy new stranger") {
		t.Errorf("default deny message: %s", errOut)
	}
}

// lineReader collects a process's stdout lines as they arrive.
type lineReader struct {
	mu    sync.Mutex
	lines []string
}

func (lr *lineReader) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lr.mu.Lock()
		lr.lines = append(lr.lines, sc.Text())
		lr.mu.Unlock()
	}
}

func (lr *lineReader) has(prefix string) bool {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	for _, l := range lr.lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func (lr *lineReader) tail(n int) []string {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return append([]string(nil), lr.lines[max(0, len(lr.lines)-n):]...)
}

func TestPolicyLiveReload(t *testing.T) {
	home := testenv.Home(t)
	path := filepath.Join(home, "policies", "pubprobe.toml")
	writeFile(t, path, "[module]\nmatch = \"pubprobe\"\n\n[bus]\npublish = [\"other\"]\n")
	cmd := exec.Command(testenv.Binary(t), "run", "--home", home, pubprobe(t, "pubprobe"), "--", "-until-ok", "-every", "20ms", "-for", "20s", "live.topic")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lr := &lineReader{}
	readDone := make(chan struct{})
	go func() { lr.read(stdout); close(readDone) }()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			select {
			case <-readDone:
				if cond() {
					return
				}
				cmd.Wait()
				t.Fatalf("pubprobe ended before %s; stdout ends %q\nstderr %s", what, lr.tail(5), errOut.String())
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("timed out waiting for %s; stdout ends %q", what, lr.tail(5))
			}
		}
	}
	waitFor("a refusal", func() bool { return lr.has("ERR publish live.topic") })
	// Grant the topic while the module runs: the next publish goes through.
	writeFile(t, path, "[module]\nmatch = \"pubprobe\"\n\n[bus]\npublish = [\"other\", \"live.>\"]\n")
	waitFor("the publish after the edit", func() bool { return lr.has("OK publish live.topic") })
	<-readDone
	if err := cmd.Wait(); err != nil {
		t.Fatalf("pubprobe: %v\n%s", err, errOut.String())
	}
}

// An installed module runs with what its manifest requests ∩ what policy grants.
func TestPolicyManifestIntersection(t *testing.T) {
	home := testenv.Home(t)
	pkg := filepath.Join(t.TempDir(), "pubprobe")
	src, err := os.ReadFile(testenv.Module(t, "pubprobe"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(pkg, "pubprobe.wasm"), string(src))
	writeFile(t, filepath.Join(pkg, "module.toml"), `name = "pubprobe"
version = "1.0.0"
kind = "app"
entry = "pubprobe.wasm"

[permissions.bus]
publish = ["asked.>"]
`)
	if out, errOut, code := orbitalCmd(t, "install", "--home", home, pkg); code != 0 {
		t.Fatalf("install: %d\n%s%s", code, out, errOut)
	}
	writeFile(t, filepath.Join(home, "policies", "pubprobe.toml"), "[module]\nmatch = \"pubprobe\"\n[bus]\npublish = [\"asked.x\", \"granted.y\"]\n")
	out, errOut, _ := orbitalCmd(t, "run", "--home", home, "pubprobe", "--", "asked.x", "asked.z", "granted.y")
	for _, want := range []string{"OK publish asked.x", "ERR publish asked.z: orbital: ERR_DENIED", "ERR publish granted.y: orbital: ERR_DENIED"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q\nstdout %s\nstderr %s", want, out, errOut)
		}
	}
	out, _, _ = orbitalCmd(t, "policy", "explain", "--home", home, "pubprobe")
	if !strings.Contains(out, "publish      asked.x") || strings.Contains(out, "granted.y") {
		t.Errorf("explain:\n%s", out)
	}
}
