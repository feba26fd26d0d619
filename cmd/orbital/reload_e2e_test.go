package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// TestReloadE2E runs reloadfeed (numbered messages on reload.probe every 40 ms) and
// reloadprobe 1.0.0 (60 ms per message, so messages queue) under `orbital run`, then through
// the binary: a reload to 2.0.0 (reloadcrash, which traps 300 ms after it starts) rolls back
// to 1.0.0 with the reason; `orbital reload` to the newest (2.0.1, reloadprobe2) keeps the pid,
// and the new code's first message is one queued before it started; no number is skipped
// across it all; `orbital install --reload` moves it once more; a module that is not running
// is a one-line message and exit 2.
func TestReloadE2E(t *testing.T) {
	home := testenv.Home(t)
	testenv.ShareCompileCache(t, home)
	writeFile(t, filepath.Join(home, "policies", "reloadprobe.toml"), "[module]\nmatch = \"reloadprobe\"\n[bus]\nsubscribe = [\"reload.probe\"]\n")
	writeFile(t, filepath.Join(home, "policies", "reloadfeed.toml"), "[module]\nmatch = \"reloadfeed\"\n[bus]\npublish = [\"reload.probe\"]\n")
	pkg := func(name, version, module, perm string) string {
		dir := filepath.Join(t.TempDir(), name+"-"+version)
		wasm, err := os.ReadFile(testenv.Module(t, module))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name+".wasm"), string(wasm))
		writeFile(t, filepath.Join(dir, "module.toml"), fmt.Sprintf("name = %q\nversion = %q\nkind = \"app\"\ndescription = \"hot reload test\"\nentry = %q\n\n[permissions.bus]\n%s\n",
			name, version, name+".wasm", perm))
		return dir
	}
	sub, pub := `subscribe = ["reload.probe"]`, `publish = ["reload.probe"]`
	install := func(args ...string) (string, string) {
		t.Helper()
		out, errOut, code := orbitalCmd(t, append([]string{"install", "--home", home, "-q"}, args...)...)
		if code != 0 {
			t.Fatalf("install %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out, errOut
	}
	install(pkg("reloadprobe", "1.0.0", "reloadprobe", sub), pkg("reloadprobe", "2.0.0", "reloadcrash", sub), pkg("reloadfeed", "1.0.0", "reloadfeed", pub))
	if out, _ := install("--reload", pkg("reloadprobe", "2.0.1", "reloadprobe2", sub)); !strings.Contains(out, "reloadprobe is not running: nothing to reload") {
		t.Fatalf("install --reload with nothing running:\n%s", out)
	}

	run := exec.Command(testenv.Binary(t), "run", "--home", home, "reloadfeed", "reloadprobe@1.0.0", "--", "-work", "60ms")
	runOut := &testenv.SyncBuffer{}
	run.Stdout, run.Stderr = runOut, runOut
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		run.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- run.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			run.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("orbital run:\n%s", runOut.String())
		}
	})
	var pid string
	testenv.Eventually(t, func() bool {
		pid = probeRow(t, home)[0]
		return pid != "" && strings.Contains(probeLogs(t, home, pid), "reloadprobe v1 handled")
	}, 60*time.Second, "reloadprobe 1.0.0 handles messages")

	// 2.0.0 traps in its first second: back to 1.0.0, same pid, the reason printed.
	out, errOut, code := orbitalCmd(t, "reload", "--home", home, "reloadprobe", "2.0.0")
	if code != 1 || !strings.Contains(out, "reloadprobe pid "+pid+": rolled back 1.0.0") || !strings.Contains(out, "out of bounds") || !strings.Contains(out, "back to 1.0.0") {
		t.Fatalf("reload to the trapping 2.0.0: exit %d\n%s%s", code, out, errOut)
	}
	if row := probeRow(t, home); row[0] != pid || row[1] != "1.0.0" {
		t.Fatalf("after the rollback: pid %s version %s, want pid %s 1.0.0", row[0], row[1], pid)
	}

	// To the newest, 2.0.1: same pid, and the first message it handles waited across the swap.
	out, errOut, code = orbitalCmd(t, "reload", "--home", home, "--grace", "1s", "reloadprobe")
	if code != 0 || !strings.Contains(out, "reloadprobe pid "+pid+": reloaded 1.0.0") || !strings.Contains(out, "-> 2.0.1") {
		t.Fatalf("reload to 2.0.1: exit %d\n%s%s", code, out, errOut)
	}
	if row := probeRow(t, home); row[0] != pid || row[1] != "2.0.1" {
		t.Fatalf("after the reload: pid %s version %s, want pid %s 2.0.1", row[0], row[1], pid)
	}
	testenv.Eventually(t, func() bool { return strings.Contains(probeLogs(t, home, pid), "reloadprobe v2 handled") }, 30*time.Second, "2.0.1 handles messages")
	logs := probeLogs(t, home, pid)
	first := regexp.MustCompile(`reloadprobe v2 handled "seq \d+" count=\d+ queued-before-start=(\w+)`).FindStringSubmatch(logs)
	if first == nil || first[1] != "true" {
		t.Fatalf("the first message 2.0.1 handled was not queued before it started:\n%s", logs)
	}
	// The state went v1 -> v1 (the rollback restored what v1 saved) -> v2.
	if !regexp.MustCompile(`reloadprobe v2 running, count [1-9]\d*, versions \[v1 v1 v2\]`).MatchString(logs) {
		t.Fatalf("2.0.1 did not get the state:\n%s", logs)
	}
	checkSequence(t, logs)

	out, _ = install("--reload", pkg("reloadprobe", "2.0.2", "reloadprobe2", sub))
	if !strings.Contains(out, "installed reloadprobe@2.0.2") || !strings.Contains(out, "reloadprobe pid "+pid+": reloaded 2.0.1") {
		t.Fatalf("install --reload:\n%s", out)
	}
	if _, errOut, code := orbitalCmd(t, "reload", "--home", home, "nosuch"); code != 2 || strings.TrimSpace(errOut) != "orbital reload: nosuch is not running" {
		t.Fatalf("reload of a module not running: exit %d, stderr %q", code, errOut)
	}
}

// probeRow returns the pid and version of reloadprobe in `orbital ps` ("" when absent).
func probeRow(t *testing.T, home string) [2]string {
	t.Helper()
	out, _, code := orbitalCmd(t, "ps", "--home", home)
	if code != 0 {
		return [2]string{}
	}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[1] == "reloadprobe" {
			return [2]string{f[0], f[2]}
		}
	}
	return [2]string{}
}

func probeLogs(t *testing.T, home, pid string) string {
	t.Helper()
	out, _, _ := orbitalCmd(t, "logs", "--home", home, "-n", "2000", pid)
	return out
}

// checkSequence checks that the numbers the probe handled, whichever version handled them,
// follow each other without a gap: nothing was dropped across the reloads.
func checkSequence(t *testing.T, logs string) {
	t.Helper()
	prev := 0
	for _, m := range regexp.MustCompile(`handled "seq (\d+)"`).FindAllStringSubmatch(logs, -1) {
		n, _ := strconv.Atoi(m[1])
		if prev != 0 && n != prev+1 {
			t.Fatalf("seq %d after %d: a message was lost or repeated across the reloads\n%s", n, prev, logs)
		}
		prev = n
	}
	if prev == 0 {
		t.Fatalf("no message handled:\n%s", logs)
	}
}
