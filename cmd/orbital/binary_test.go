package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

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
