package kernel

import (
	"strings"
	"testing"
	"time"
)

// A trap's reason names its cause (issue 18, defect 12): wasmtime puts the cause on a later
// line of its message, after "error while executing at wasm backtrace:", and the reason
// used to keep only that first line, the same for every trap.
func TestTrapReasonNamesCause(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	cases := []struct{ name, body, want string }{
		{"divide", `(func (export "_start") (drop (i32.div_s (i32.const 1) (i32.const 0))))`, "integer divide by zero"},
		{"oob", `(func (export "_start") (drop (i32.load (i32.const 0x7ffffff0))))`, "out of bounds memory access"},
		{"stack", `(func $f (export "_start") (call $f))`, "call stack exhausted"},
		{"unreachable", `(func (export "_start") unreachable)`, "unreachable"},
		{"overflow", `(func (export "_start") (drop (i32.div_s (i32.const -2147483648) (i32.const -1))))`, "integer overflow"},
		{"null call", `(table 1 funcref) (type $t (func)) (func (export "_start") (call_indirect (type $t) (i32.const 0)))`, "uninitialized element"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := wait(t, spawn(t, k, watModule(t, k, c.name, wat(c.body)), SpawnOptions{}), 10*time.Second)
			if in.State != Crashed || !strings.Contains(in.Reason, c.want) {
				t.Fatalf("reason %q (%v), want it to name %q", in.Reason, in.State, c.want)
			}
			t.Logf("%s", in.Reason)
			if strings.Contains(in.Reason, "\n") || strings.HasSuffix(in.Reason, ":") {
				t.Fatalf("reason %q is not one complete line", in.Reason)
			}
		})
	}
}
