package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// orbitalRun runs the real orbital binary with args and extra environment (KEY=VALUE) and
// returns stdout, stderr and the exit code. Every e2e test that runs the binary to its end
// goes through here.
func orbitalRun(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("orbital %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// orbitalCmd is orbitalRun without extra environment.
func orbitalCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return orbitalRun(t, nil, args...)
}

// bgOrbital is the binary running in the background until the test's cleanup, which stops it
// with SIGINT (killed after 30 s).
type bgOrbital struct {
	cmd    *exec.Cmd
	out    *testenv.SyncBuffer // stdout and stderr
	exited chan struct{}
}

// startBackground starts the binary with args and extra environment, in the background.
func startBackground(t *testing.T, env []string, args ...string) *bgOrbital {
	t.Helper()
	o := &bgOrbital{cmd: exec.Command(testenv.Binary(t), args...), out: &testenv.SyncBuffer{}, exited: make(chan struct{})}
	o.cmd.Env = append(os.Environ(), env...)
	o.cmd.Stdout, o.cmd.Stderr = o.out, o.out
	if err := o.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { o.cmd.Wait(); close(o.exited) }()
	t.Cleanup(func() {
		o.cmd.Process.Signal(os.Interrupt)
		select {
		case <-o.exited:
		case <-time.After(30 * time.Second):
			o.cmd.Process.Kill()
			<-o.exited
		}
	})
	return o
}

// running fails the test if the binary has exited.
func (o *bgOrbital) running(t *testing.T) {
	t.Helper()
	select {
	case <-o.exited:
		t.Fatalf("orbital %v exited early:\n%s", o.cmd.Args[1:], o.out.String())
	default:
	}
}
