package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// upProc is a running `orbital up`.
type upProc struct {
	cmd    *exec.Cmd
	out    *testenv.SyncBuffer
	exited chan struct{}
}

// startUp starts `orbital up` on home and waits until its control socket answers.
func startUp(t *testing.T, home string, env ...string) *upProc {
	t.Helper()
	u := launchUp(t, "orbital up", []string{"--home", home}, env)
	testenv.Eventually(t, func() bool {
		select {
		case <-u.exited:
			t.Fatalf("orbital up exited early:\n%s", u.out.String())
		default:
		}
		_, _, code := orbitalCmd(t, "ps", "--home", home)
		return code == 0
	}, 30*time.Second, "orbital up to answer orbital ps")
	return u
}

// launchUp starts `orbital up ARGS` with env added; the test's cleanup stops it (SIGINT, then
// SIGKILL after 10 s) and, when the test failed, logs its output under label.
func launchUp(t *testing.T, label string, args, env []string) *upProc {
	t.Helper()
	u := &upProc{cmd: exec.Command(testenv.Binary(t), append([]string{"up"}, args...)...), out: &testenv.SyncBuffer{}, exited: make(chan struct{})}
	u.cmd.Env = append(os.Environ(), env...)
	u.cmd.Stdout, u.cmd.Stderr = u.out, u.out
	if err := u.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { u.cmd.Wait(); close(u.exited) }()
	t.Cleanup(func() {
		u.cmd.Process.Signal(os.Interrupt)
		select {
		case <-u.exited:
		case <-time.After(10 * time.Second):
			u.cmd.Process.Kill()
			<-u.exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", label, u.out.String())
		}
	})
	return u
}

// TestUpOneInstancePerHome: a second up (or shell) on the same home exits 2 naming the pid
// that holds it; orbital run beside it runs as a guest; SIGINT stops up cleanly.
func TestUpOneInstancePerHome(t *testing.T) {
	home := testenv.Home(t)
	u := startUp(t, home)
	pid := u.cmd.Process.Pid
	for _, verb := range []string{"up", "shell"} {
		_, errOut, code := orbitalCmd(t, verb, "--home", home)
		if code != exitUsage || !strings.Contains(errOut, fmt.Sprintf("in use by orbital pid %d", pid)) {
			t.Fatalf("second %s: exit %d, stderr %q; want 2 naming pid %d", verb, code, errOut, pid)
		}
	}
	if b, err := os.ReadFile(filepath.Join(home, "run", "instance.lock")); err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(pid) {
		t.Fatalf("lock file: %q %v", b, err)
	}
	out, errOut, code := orbitalRun(t, []string{"ORBITAL_MODULES=" + filepath.Dir(testenv.Module(t, "hello"))}, "run", "--home", home, "hello")
	if code != 0 || !strings.Contains(out, "hello from orbital") || !strings.Contains(errOut, "running beside it") {
		t.Fatalf("run beside up: exit %d\n%s\n%s", code, out, errOut)
	}
	u.cmd.Process.Signal(os.Interrupt)
	select {
	case <-u.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("orbital up did not stop on SIGINT")
	}
	if code := u.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("orbital up exited %d after SIGINT:\n%s", code, u.out.String())
	}
	if _, _, code := orbitalCmd(t, "ps", "--home", home); code == 0 {
		t.Fatal("orbital ps still answers after up stopped")
	}
}
