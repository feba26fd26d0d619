package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Xvfb starts a private X server (1280x800x24) for one test and returns its DISPLAY value
// (":N"). The server is stopped when the test ends. Tests that need X call this; it fails the
// test with a clear message when Xvfb is not installed (make test installs it).
func Xvfb(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatalf("testenv: Xvfb is not installed (make deps installs it): %v", err)
	}
	for n := 90 + os.Getpid()%200; n < 1000; n++ {
		lock := fmt.Sprintf("/tmp/.X%d-lock", n)
		if _, err := os.Stat(lock); err == nil {
			continue
		}
		cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			t.Fatalf("testenv: start Xvfb: %v", err)
		}
		sock := filepath.Join("/tmp/.X11-unix", fmt.Sprintf("X%d", n))
		deadline := time.Now().Add(10 * time.Second)
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		for {
			if _, err := os.Stat(sock); err == nil {
				t.Cleanup(func() {
					cmd.Process.Kill()
					<-exited
				})
				return fmt.Sprintf(":%d", n)
			}
			select {
			case <-exited:
			case <-time.After(20 * time.Millisecond):
				if time.Now().Before(deadline) {
					continue
				}
				cmd.Process.Kill()
				<-exited
			}
			break // this display number is taken or Xvfb failed: try the next one
		}
	}
	t.Fatalf("testenv: no free X display number")
	return ""
}
