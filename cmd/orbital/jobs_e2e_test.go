package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/internal/testenv"
)

// installProbe installs the jobprobe module under name with the manifest lines extra.
func installProbe(t *testing.T, home, name, extra string) {
	t.Helper()
	dir := t.TempDir()
	wasm, err := os.ReadFile(testenv.Module(t, "jobprobe"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, name+".wasm"), wasm, 0o644)
	man := "name = \"" + name + "\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = \"" + name + ".wasm\"\n" + extra
	os.WriteFile(filepath.Join(dir, "module.toml"), []byte(man), 0o644)
	if out, errOut, code := orbitalCmd(t, "install", "--home", home, dir); code != 0 {
		t.Fatalf("install %s: %d\n%s%s", name, code, out, errOut)
	}
}

// TestUpSchedule: orbital up runs an @every 1s module at least twice within 3 s of being up,
// and orbital jobs shows it (table and --json).
func TestUpSchedule(t *testing.T) {
	home := testenv.Home(t)
	installProbe(t, home, "tickjob", "[triggers]\nschedule = [\"@every 1s\"]\n")
	// Compile it into the home's cache first: the 3 s are the schedule's, not the compiler's.
	if out, errOut, code := orbitalCmd(t, "run", "--home", home, "tickjob"); code != 0 || !strings.Contains(out, "jobprobe tickjob ran at") {
		t.Fatalf("warm-up run: %d\n%s%s", code, out, errOut)
	}
	u := startUp(t, home)
	ready := time.Now()
	testenv.Eventually(t, func() bool { return strings.Count(u.out.String(), "jobprobe tickjob ran at") >= 2 }, 3*time.Second,
		"two runs of tickjob within 3 s of orbital up")
	t.Logf("two runs %v after orbital up answered", time.Since(ready).Round(time.Millisecond))
	out, errOut, code := orbitalCmd(t, "jobs", "--home", home)
	if code != 0 || !strings.Contains(out, "MODULE") || !strings.Contains(out, "tickjob") || !strings.Contains(out, "@every 1s") {
		t.Fatalf("orbital jobs: %d\n%s%s", code, out, errOut)
	}
	out, _, code = orbitalCmd(t, "jobs", "--json", "--home", home)
	var jobs []map[string]any
	if err := json.Unmarshal([]byte(out), &jobs); err != nil || code != 0 || len(jobs) != 1 {
		t.Fatalf("orbital jobs --json: %d %v\n%s", code, err, out)
	}
	for _, k := range []string{"module", "trigger", "runs", "skips", "last_exit"} {
		if _, ok := jobs[0][k]; !ok {
			t.Fatalf("orbital jobs --json lacks %q: %s", k, out)
		}
	}
	if jobs[0]["module"] != "tickjob" || jobs[0]["runs"].(float64) < 2 {
		t.Fatalf("orbital jobs --json: %s", out)
	}
}

// TestUpCrashLoop: a module that fails on start under restart = "on-failure" restarts after
// 100, 200, 400 and 800 ms, then stops at the crash-loop limit; orbital ps, its log and orbital
// jobs say so.
func TestUpCrashLoop(t *testing.T) {
	home := testenv.Home(t)
	installProbe(t, home, "crashjob", "restart = \"on-failure\"\n[triggers]\nboot = true\n")
	startUp(t, home)
	var row admin.Proc
	testenv.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		procs, _, err := admin.ControlClient{Path: admin.ControlSocketPath(home)}.Processes(ctx)
		if err != nil {
			return false
		}
		for _, p := range procs {
			if p.Name == "crashjob" && p.State == "failed" {
				row = p
				return true
			}
		}
		return false
	}, 60*time.Second, "crashjob to stop in a crash loop")
	ps, _, _ := orbitalCmd(t, "ps", "--home", home)
	if !strings.Contains(ps, "crashjob") || !strings.Contains(ps, "failed") || !strings.Contains(ps, "crash loop") || row.Restarts != 4 {
		t.Fatalf("orbital ps:\n%s\nrow %+v", ps, row)
	}
	for pid, want := range map[uint32]string{row.PID - 4: "restarting in 100ms", row.PID - 1: "restarting in 800ms", row.PID: "crash loop: failed 5 times"} {
		out, errOut, code := orbitalCmd(t, "logs", "--home", home, fmt.Sprint(pid))
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("orbital logs %d: want %q\n%s%s", pid, want, out, errOut)
		}
	}
	out, _, _ := orbitalCmd(t, "jobs", "--json", "--home", home)
	var jobs []admin.Job
	if err := json.Unmarshal([]byte(out), &jobs); err != nil || len(jobs) != 1 || jobs[0].State != "failed" || jobs[0].Runs != 1 || jobs[0].Restarts != 4 {
		t.Fatalf("orbital jobs --json: %v\n%s", err, out)
	}
}
