package testenv

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Xvfb starts a private X server (1280x800x24) for one test and returns its DISPLAY value
// (":N"). The server is stopped when the test ends. Tests that need X call this; it fails the
// test with a clear message when Xvfb is not installed (make test installs it).
//
// Xvfb picks a free display number itself and writes it to a pipe once it accepts
// connections (-displayfd), so there is no guessing: a socket or lock file left behind by an
// earlier, killed server cannot make a test talk to a display that is not there yet.
func Xvfb(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatalf("testenv: Xvfb is not installed (make deps installs it): %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w} // fd 3 in the child
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("testenv: start Xvfb: %v", err)
	}
	w.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		// SIGTERM lets Xvfb remove its lock file and socket; SIGKILL only if it hangs.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			stop()
			t.Fatalf("testenv: Xvfb exited without naming a display")
		}
		t.Cleanup(stop)
		return ":" + n
	case <-time.After(20 * time.Second):
		stop()
		t.Fatalf("testenv: Xvfb did not start within 20s")
	}
	return ""
}
