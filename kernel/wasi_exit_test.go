package kernel

import (
	"fmt"
	"testing"
	"time"
)

// proc_exit's status is the exit code, whatever it is: wasmtime's own proc_exit traps on
// 126 and above, which read as a crash (134).
func TestProcExitCodes(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	for _, code := range []uint32{0, 1, 125, 126, 188, 255, 256, 1 << 31} {
		m := watModule(t, k, "exit", fmt.Sprintf(`(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const %d)) (unreachable)))`, int32(code)))
		in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second)
		if in.State != Exited || in.ExitCode != int(code) {
			t.Errorf("proc_exit(%d): %v %d (%s)", code, in.State, in.ExitCode, in.Reason)
		}
	}
}
