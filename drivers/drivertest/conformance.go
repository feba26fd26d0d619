package drivertest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orbital/orbital/drivers"
)

// Conformance drives a working driver (spec) through the lifecycle every Orbital driver must
// survive, each step on a fresh harness that checks for leaked processes and memfds:
//
//   - sandbox: it starts, handshakes, runs with no_new_privs, the rlimits and none of the
//     host's descriptors (a deliberately inheritable one is planted), then stops on request;
//   - crash: SIGKILL from outside is reported as a crash with the signal, and the on-failure
//     policy restarts it under the same bus pid;
//   - tampered: a copy of the binary with one byte appended is refused before exec.
func Conformance(t *testing.T, spec drivers.Spec) {
	t.Run("sandbox", func(t *testing.T) {
		// A descriptor without CLOEXEC survives fork+exec unless the sandbox closes it.
		planted, err := syscall.Dup(int(os.Stdin.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(planted)
		plantedTarget, _ := os.Readlink("/proc/self/fd/" + itoa(planted))

		h := New(t)
		d := h.Start(spec)
		i := d.Info()
		if i.State != drivers.Running || i.OSPID == 0 {
			t.Fatalf("after start: %+v", i)
		}
		status, err := os.ReadFile("/proc/" + itoa(i.OSPID) + "/status")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(status), "NoNewPrivs:\t1") {
			t.Errorf("driver runs without no_new_privs:\n%s", status)
		}
		limits, _ := os.ReadFile("/proc/" + itoa(i.OSPID) + "/limits")
		if !strings.Contains(string(limits), "Max core file size        0") {
			t.Errorf("core rlimit not applied:\n%s", limits)
		}
		fds, _ := os.ReadDir("/proc/" + itoa(i.OSPID) + "/fd")
		for _, e := range fds {
			l, _ := os.Readlink("/proc/" + itoa(i.OSPID) + "/fd/" + e.Name())
			if strings.Contains(l, "orbital-driver-image") || (e.Name() == itoa(planted) && l == plantedTarget && planted > 4) {
				t.Errorf("driver inherited descriptor %s -> %s", e.Name(), l)
			}
		}
		pid := i.OSPID
		d.Stop()
		i = d.Info()
		if i.State != drivers.Exited || !strings.Contains(i.Reason, "stopped on request") {
			t.Fatalf("after stop: %+v", i)
		}
		if Alive(pid) {
			t.Fatalf("driver process %d still alive after Stop", pid)
		}
	})

	t.Run("crash", func(t *testing.T) {
		h := New(t)
		s := spec
		s.Restart = drivers.Restart{Policy: drivers.RestartOnFailure, Backoff: 20 * time.Millisecond}
		d := h.Start(s)
		first := d.Info()
		syscall.Kill(first.OSPID, syscall.SIGKILL)
		i := h.WaitFor(d, "restarted", 10*time.Second, func(i drivers.Info) bool {
			return i.Restarts == 1 && i.State == drivers.Running && i.OSPID != first.OSPID
		})
		if i.PID != first.PID {
			t.Errorf("bus pid changed across restart: %v -> %v", first.PID, i.PID)
		}
		if !strings.Contains(strings.Join(h.Logs(), "\n"), "killed by signal") {
			t.Errorf("crash reason not logged:\n%s", strings.Join(h.Logs(), "\n"))
		}
	})

	t.Run("tampered", func(t *testing.T) {
		h := New(t)
		orig, err := os.ReadFile(spec.Path)
		if err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(t.TempDir(), filepath.Base(spec.Path))
		if err := os.WriteFile(bad, append(orig, 0), 0o755); err != nil {
			t.Fatal(err)
		}
		s := spec
		s.Path = bad
		before := Children(t)
		d, err := h.Manager.Start(s)
		if !errors.Is(err, drivers.ErrDigest) {
			t.Fatalf("tampered binary: err = %v, want ErrDigest", err)
		}
		if !strings.Contains(err.Error(), s.Digest) {
			t.Errorf("error does not name the expected digest: %v", err)
		}
		if i := d.Info(); i.State != drivers.Failed || i.OSPID != 0 {
			t.Errorf("tampered driver row: %+v", i)
		}
		if after := Children(t); len(after) > len(before) {
			t.Errorf("a process was started for a tampered binary: %v", after)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
