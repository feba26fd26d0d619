package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/policies"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := path + ".tmp~"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyCheck(t *testing.T) {
	home := testenv.Home(t)
	out, errOut, code := orbitalCmd(t, "policy", "check", "--home", home)
	if code != 0 || !strings.Contains(out, "0 error(s), 0 warning(s)") {
		t.Fatalf("built-in policies: code %d\n%s%s", code, out, errOut)
	}
	pol := filepath.Join(home, "policies")
	writeFile(t, filepath.Join(pol, "typo.toml"), "[module]\nmatch = \"paint\"\n\n[bus]\npublsh = [\"x\"]\n")
	wide := t.TempDir()
	os.Chmod(wide, 0o777)
	writeFile(t, filepath.Join(pol, "wide.toml"), "[module]\nmatch = \"h*\"\n[[fs]]\nhost = \""+wide+"\"\nguest = \"/w\"\nmode = \"rw\"\n")
	writeFile(t, filepath.Join(pol, "a.toml"), "[module]\nmatch = \"clock\"\n[bus]\npublish = [\"x.>\", \"x.y\"]\n")
	writeFile(t, filepath.Join(pol, "b.toml"), "[module]\nmatch = \"clock\"\n")
	out, _, code = orbitalCmd(t, "policy", "check", "--home", home)
	for _, want := range []string{
		"typo.toml:5: error: bus.publsh: unknown key",
		"wide.toml:4: warning: preopen " + wide + " is world-writable",
		"a.toml:2: error: match \"clock\" ties with another file",
		"b.toml:2: error: match \"clock\" ties with another file",
		"a.toml:4: warning: bus.publish: \"x.y\" is already covered by \"x.>\" (line 4)",
		"wide.toml:2: warning: match \"h*\" is shadowed for module hello by built-in:hello.toml",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	// Checking one file lints only that file.
	out, _, code = orbitalCmd(t, "policy", "check", "--home", home, filepath.Join(pol, "typo.toml"))
	if code != 1 || strings.Contains(out, "wide.toml") || !strings.Contains(out, "1 file(s) checked: 1 error(s)") {
		t.Errorf("check of one file: code %d\n%s", code, out)
	}
}

func TestPolicyNewThenExplain(t *testing.T) {
	home := testenv.Home(t)
	out, _, code := orbitalCmd(t, "policy", "explain", "--home", home, "/some/where/stranger.wasm")
	if code != 0 || !strings.Contains(out, "module:  stranger") || !strings.Contains(out, "orbital policy new stranger") {
		t.Fatalf("explain of an unknown module: code %d\n%s", code, out)
	}
	out, errOut, code := orbitalCmd(t, "policy", "new", "--home", home, "stranger")
	path := filepath.Join(home, "policies", "stranger.toml")
	if code != 0 || !strings.Contains(out, path) {
		t.Fatalf("policy new: code %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := orbitalCmd(t, "policy", "new", "--home", home, "stranger"); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("second policy new: code %d %s", code, errOut)
	}
	data, _ := os.ReadFile(path)
	// Grant a topic by uncommenting lines the template wrote.
	edited := strings.Replace(string(data), "# [bus]", "[bus]", 1)
	edited = strings.Replace(edited, "# publish = [\"example.>\"]", "publish = [\"example.>\"]", 1)
	writeFile(t, path, edited)
	out, _, code = orbitalCmd(t, "policy", "explain", "--home", home, "stranger")
	line := 0
	for i, l := range strings.Split(edited, "\n") {
		if strings.HasPrefix(l, "publish = ") {
			line = i + 1
		}
	}
	want := "publish      example.>"
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, path+":"+itoa(line)) {
		t.Fatalf("explain after editing: code %d, want %q at %s:%d\n%s", code, want, path, line, out)
	}
	// A broken file refuses the module, naming file and line.
	writeFile(t, path, edited+"\n[bus2]\n")
	out, _, code = orbitalCmd(t, "policy", "explain", "--home", home, "stranger")
	if code != 1 || !strings.Contains(out, "REFUSED") || !strings.Contains(out, "stranger.toml:") {
		t.Fatalf("explain of a broken policy: code %d\n%s", code, out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestAuditTable(t *testing.T) {
	home := testenv.Home(t)
	out, _, code := orbitalCmd(t, "audit", "--home", home)
	if code != 0 || !strings.Contains(out, "no denials") {
		t.Fatalf("empty audit: code %d %s", code, out)
	}
	a := policies.OpenAudit(filepath.Join(home, "audit.log"), 0)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, m := range []string{"pinger", "paint", "pinger"} {
		if err := a.Record(policies.Record{Time: base.Add(time.Duration(i) * time.Second), PID: uint32(i + 1), Module: m, Op: "publish", Object: "t" + itoa(i), Rule: policies.NoGrant}); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	out, _, code = orbitalCmd(t, "audit", "--home", home, "--module", "pinger", "-n", "1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[1], "pinger") || !strings.Contains(lines[1], "t2") || !strings.Contains(lines[1], "no grant") {
		t.Fatalf("audit --module pinger -n 1: code %d\n%s", code, out)
	}
	if _, _, code := orbitalCmd(t, "audit", "--home", home, "-n", "-1"); code != exitUsage {
		t.Fatalf("bad -n: code %d", code)
	}
}

func TestPolicyCheckInstalled(t *testing.T) {
	home := testenv.Home(t)
	if out, errOut, code := orbitalCmd(t, "install", "--home", home, testenv.Module(t, "hello")); code != 0 {
		t.Fatalf("install: %d\n%s%s", code, out, errOut)
	}
	pol := filepath.Join(home, "policies")
	writeFile(t, filepath.Join(pol, "ghost.toml"), "[module]\nmatch = \"ghost\"\n")
	writeFile(t, filepath.Join(pol, "hello.toml"), "[module]\nmatch = \"hello\"\n[bus]\npublish = [\"x\"]\n")
	out, _, code := orbitalCmd(t, "policy", "check", "--home", home)
	if code != 0 || !strings.Contains(out, "ghost.toml:2: warning: grants to module \"ghost\", which is not installed") ||
		strings.Contains(out, "module \"hello\", which is not installed") {
		t.Fatalf("code %d\n%s", code, out)
	}
	// hello was installed without a manifest of its own: policy alone decides, as for a bare .wasm.
	out, _, _ = orbitalCmd(t, "policy", "explain", "--home", home, "hello")
	if !strings.Contains(out, "publish      x") {
		t.Fatalf("explain hello:\n%s", out)
	}
}
