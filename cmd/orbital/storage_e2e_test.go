package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

// Durable key-value storage through the real binary: the door, the quota, persistence across
// runs, a kill -9 of the instance, and a damaged file that refuses only its own module.

func kvHome(t *testing.T, quota string) (home, probe string) {
	t.Helper()
	home = testenv.Home(t)
	if quota != "" {
		writeFile(t, filepath.Join(home, "policies", "kvprobe.toml"), "[module]\nmatch = \"kvprobe\"\n[storage]\nkv = \""+quota+"\"\n")
	}
	return home, testenv.Module(t, "kvprobe")
}

func TestStorageNeedsAGrant(t *testing.T) {
	home, probe := kvHome(t, "")
	out, errOut, _ := orbitalCmd(t, "run", "--home", home, probe, "--", "put:a=1")
	if !strings.Contains(out, "ERR put a: orbital: kv put \"a\" (1 bytes): orbital: ERR_DENIED") || !strings.Contains(errOut, "[storage] kv") {
		t.Fatalf("put without a grant:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
	out, _, _ = orbitalCmd(t, "audit", "--home", home)
	if !strings.Contains(out, "storage") || !strings.Contains(out, "kvprobe") {
		t.Fatalf("the refusal is not audited:\n%s", out)
	}
}

func TestStorageQuotaAndPersistence(t *testing.T) {
	home, probe := kvHome(t, "1KiB")
	out, errOut, code := orbitalCmd(t, "run", "--home", home, probe, "--",
		"put:greeting=hello", "put:log/1=a", "put:log/2=b", "get:greeting", "list:log/", "del:log/1", "fill:10:200")
	for _, want := range []string{"OK put greeting", `OK get greeting "hello"`, "key log/1", "key log/2", "OK list log/ 2", "OK del log/1 true",
		"ERR fill 10: orbital: kv batch of 10: orbital: ERR_LIMIT"} {
		if !strings.Contains(out, want) {
			t.Errorf("first run lacks %q", want)
		}
	}
	if t.Failed() || code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// A new run, a new process: the data is still there, and the refused batch left nothing.
	out, _, _ = orbitalCmd(t, "run", "--home", home, probe, "--", "get:greeting", "list:log/", "list:fill/")
	for _, want := range []string{`OK get greeting "hello"`, "OK list log/ 1", "OK list fill/ 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("second run lacks %q:\n%s", want, out)
		}
	}
}

func TestStorageSurvivesKill9(t *testing.T) {
	home, probe := kvHome(t, "1MiB")
	cmd := exec.Command(testenv.Binary(t), "run", "--home", home, probe, "--", "count:100000")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && len(acked) < 40 {
		if k, ok := strings.CutPrefix(sc.Text(), "OK put "); ok {
			acked[k] = true
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(acked) < 40 {
		t.Fatalf("only %d writes acknowledged before the kill\nstderr:\n%s", len(acked), errOut.String())
	}
	out, _, _ := orbitalCmd(t, "run", "--home", home, probe, "--", "list:c/")
	for k := range acked {
		if !strings.Contains(out, "key "+k+"\n") {
			t.Errorf("acknowledged write %s lost by kill -9", k)
		}
	}
}

func TestStorageDamagedFileRefusesOnlyItsModule(t *testing.T) {
	home, probe := kvHome(t, "1KiB")
	other := filepath.Join(t.TempDir(), "kvother.wasm")
	data, _ := os.ReadFile(probe)
	if err := os.WriteFile(other, data, 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, "policies", "kvother.toml"), "[module]\nmatch = \"kvother\"\n[storage]\nkv = \"1KiB\"\n")
	if out, _, _ := orbitalCmd(t, "run", "--home", home, other, "--", "put:k=v"); !strings.Contains(out, "OK put k") {
		t.Fatalf("kvother: %s", out)
	}
	db := filepath.Join(home, "storage", "local", "kvprobe.db")
	os.MkdirAll(filepath.Dir(db), 0o700)
	if err := os.WriteFile(db, bytes.Repeat([]byte{0xAB}, 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, _ := orbitalCmd(t, "run", "--home", home, probe, "--", "get:k")
	if !strings.Contains(out, "ERR_INTERNAL") || !strings.Contains(errOut, db+" cannot be read") {
		t.Fatalf("a damaged file:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
	if out, _, _ := orbitalCmd(t, "run", "--home", home, other, "--", "get:k"); !strings.Contains(out, `OK get k "v"`) {
		t.Fatalf("the other module lost its data: %s", out)
	}
}

// TestKVVerb: orbital kv reads and edits a module's storage, alone and through a running
// orbital up (which holds the files open).
func TestKVVerb(t *testing.T) {
	home, probe := kvHome(t, "1KiB")
	if out, _, _ := orbitalCmd(t, "run", "--home", home, probe, "--", "put:note=hi", "put:log/1=a"); !strings.Contains(out, "OK put log/1") {
		t.Fatalf("seed: %s", out)
	}
	check := func(when string) {
		t.Helper()
		if out, errOut, code := orbitalCmd(t, "kv", "--home", home, "kvprobe", "ls"); code != 0 || out != "log/1\nnote\n" || !strings.Contains(errOut, "2 key(s)") || !strings.Contains(errOut, "1KiB quota") {
			t.Fatalf("%s: kv ls: exit %d\n%s%s", when, code, out, errOut)
		}
		if out, _, code := orbitalCmd(t, "kv", "--home", home, "kvprobe", "get", "note"); code != 0 || out != "hi" {
			t.Fatalf("%s: kv get: exit %d %q", when, code, out)
		}
		if _, errOut, code := orbitalCmd(t, "kv", "--home", home, "kvprobe", "get", "nope"); code != 1 || !strings.Contains(errOut, "has no key \"nope\"") {
			t.Fatalf("%s: kv get of a missing key: exit %d %s", when, code, errOut)
		}
		if _, errOut, code := orbitalCmd(t, "kv", "--home", home, "kvprobe", "put", "big", strings.Repeat("x", 2000)); code != exitUsage || !strings.Contains(errOut, "over quota") {
			t.Fatalf("%s: kv put over quota: exit %d %s", when, code, errOut)
		}
	}
	check("without an instance")
	startUp(t, home)
	check("through orbital up")
	if _, errOut, code := orbitalCmd(t, "kv", "--home", home, "kvprobe", "put", "note", "bye"); code != 0 {
		t.Fatalf("kv put: %d %s", code, errOut)
	}
	if _, _, code := orbitalCmd(t, "kv", "--home", home, "kvprobe", "rm", "log/1"); code != 0 {
		t.Fatalf("kv rm: %d", code)
	}
	out, errOut, _ := orbitalCmd(t, "run", "--home", home, probe, "--", "get:note", "list:log/")
	if !strings.Contains(out, `OK get note "bye"`) || !strings.Contains(out, "OK list log/ 0") {
		t.Fatalf("the module does not see the edits:\n%s%s", out, errOut)
	}
}
