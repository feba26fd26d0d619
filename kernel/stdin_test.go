package kernel

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// TestStdin: a guest reads SpawnOptions.Stdin to its end and the bytes come out unchanged; a
// guest blocked reading a stdin that never ends is killed at once. One kernel and one compile
// of the cat module serve both.
func TestStdin(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	m, err := k.LoadFile(testenv.Module(t, "cat"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("bytes", func(t *testing.T) { stdinBytes(t, k, m) })
	t.Run("kill", func(t *testing.T) { stdinKill(t, k, m) })
}

func stdinBytes(t *testing.T, k *Kernel, m *Module) {
	in := bytes.Repeat([]byte("no newline at the end\x00\xff"), 20000) // 460 KB: several pipe buffers
	in = append(in, "abc"...)
	out := filepath.Join(t.TempDir(), "out")
	p := spawn(t, k, m, SpawnOptions{Stdin: bytes.NewReader(in), Stdout: out})
	if info := wait(t, p, 30*time.Second); info.ExitCode != 0 {
		t.Fatalf("cat: %v %q", info.State, info.Reason)
	}
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, in) {
		t.Fatalf("stdout has %d bytes, want the %d given (first difference near %d)", len(got), len(in), firstDiff(got, in))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// stdinKill: the kernel closes the stdin pipe on a kill, so wasmtime's native read returns.
func stdinKill(t *testing.T, k *Kernel, m *Module) {
	r, w := io.Pipe()
	defer w.Close()
	p := spawn(t, k, m, SpawnOptions{Stdin: r})
	w.Write([]byte("partial"))
	start := time.Now()
	if err := k.Kill(p.PID(), true); err != nil {
		t.Fatal(err)
	}
	info := wait(t, p, 5*time.Second)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("kill took %v", took)
	}
	if info.ExitCode != ExitKilled || !strings.Contains(info.Reason, "killed") {
		t.Errorf("after kill: %v %d %q", info.State, info.ExitCode, info.Reason)
	}
}
