package testenv

import (
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// PulseSink is the name of the null sink a PulseAudio daemon from StartPulseAudio plays into.
const PulseSink = "orbital_test"

// PulseAudio is a private PulseAudio daemon: its own runtime directory and home, no system
// configuration (-n), the native protocol on a unix socket and one null sink (PulseSink)
// whose monitor records what is played into it.
type PulseAudio struct {
	Runtime string // its XDG_RUNTIME_DIR: the socket is Runtime/pulse/native
	Home    string // its HOME: the cookie is Home/.config/pulse/cookie
	cmd     *exec.Cmd
	exited  chan struct{}
}

// Pause stops the daemon (SIGSTOP: a hung server) until Resume (SIGCONT).
func (p *PulseAudio) Pause() { p.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused daemon.
func (p *PulseAudio) Resume() { p.cmd.Process.Signal(syscall.SIGCONT) }

// Kill kills the daemon (SIGKILL, as a crash) and waits for it to end.
func (p *PulseAudio) Kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// StartPulseAudio starts a daemon for the test and stops it at the test's end. pulseaudio
// not installed fails the test (make deps installs it); a daemon that cannot start at all
// here skips it, with the daemon's own words.
func StartPulseAudio(t testing.TB) *PulseAudio {
	t.Helper()
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		t.Fatalf("pulseaudio is not installed: make deps installs it (Debian packages pulseaudio, pulseaudio-utils)")
	}
	dir, err := os.MkdirTemp("", "pulse") // short: a unix socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &PulseAudio{Runtime: filepath.Join(dir, "run"), Home: filepath.Join(dir, "home")}
	for _, d := range []string{p.Runtime, p.Home} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "--daemonize=no", "--exit-idle-time=-1", "-n", "--use-pid-file=no",
		"--log-target=stderr", "--load=module-native-protocol-unix", "--load=module-null-sink sink_name="+PulseSink)
	cmd.Env = append(os.Environ(), p.Env()...)
	var out SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Skipf("pulseaudio cannot start here: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	p.cmd, p.exited = cmd, exited
	t.Cleanup(func() {
		p.Resume()
		p.Kill()
		if t.Failed() {
			t.Logf("pulseaudio said:\n%s", out.String())
		}
	})
	socket := filepath.Join(p.Runtime, "pulse", "native")
	for deadline := time.Now().Add(20 * time.Second); ; {
		select {
		case <-exited:
			t.Skipf("pulseaudio cannot start here; it said:\n%s", out.String())
		default:
		}
		if _, err := os.Stat(socket); err == nil {
			if c, err := net.Dial("unix", socket); err == nil {
				c.Close()
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulseaudio did not answer on %s in 20 s; it said:\n%s", socket, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Env is the environment a client of the daemon runs in, found as libpulse finds a server:
// XDG_RUNTIME_DIR and HOME (for the cookie); PULSE_SERVER is cleared so an outer one does
// not win.
func (p *PulseAudio) Env() []string {
	return []string{"XDG_RUNTIME_DIR=" + p.Runtime, "HOME=" + p.Home, "PULSE_SERVER=",
		"PULSE_COOKIE=" + filepath.Join(p.Home, ".config", "pulse", "cookie")}
}

// Server is the daemon's server string.
func (p *PulseAudio) Server() string { return "unix:" + filepath.Join(p.Runtime, "pulse", "native") }

// Recording is what the null sink's monitor records (parec, from pulseaudio-utils): stereo
// 16-bit frames at 44100 Hz.
type Recording struct {
	out SyncBuffer
}

// Record starts recording the null sink's monitor until the test's end, and returns once the
// recording runs (a tenth of a second recorded). The monitor asks the sink for a 20 ms latency,
// so the sink renders in small blocks from then on (an idle null sink renders ahead in large
// ones, and a stream that starts then waits for them to pass).
func (p *PulseAudio) Record(t testing.TB) *Recording {
	t.Helper()
	bin, err := exec.LookPath("parec")
	if err != nil {
		t.Fatalf("parec is not installed: make deps installs it (Debian package pulseaudio-utils)")
	}
	r := &Recording{}
	cmd := exec.Command(bin, "--raw", "--format=s16le", "--rate=44100", "--channels=2", "--latency-msec=20",
		"-d", PulseSink+".monitor")
	cmd.Env = append(os.Environ(), p.Env()...)
	cmd.Env = append(cmd.Env, "PULSE_SERVER="+p.Server()) // libpulse takes an empty one for a bad one
	var errs SyncBuffer
	cmd.Stdout, cmd.Stderr = &r.out, &errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("parec said: %s", errs.String())
		}
	})
	Eventually(t, func() bool { return len(r.Bytes()) >= 44100*4/10 }, 20*time.Second, "parec recording")
	return r
}

// Samples returns what was recorded so far: interleaved left, right.
func (r *Recording) Samples() []int16 {
	b := r.Bytes()
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

// Bytes is the recording as it came: little-endian 16-bit samples.
func (r *Recording) Bytes() []byte {
	return r.out.Bytes()
}
