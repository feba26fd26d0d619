package faults

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// Defect 12: every trap read "trap: error while executing at wasm backtrace:". The reason now
// names the cause.
func TestTrapReasonsNameTheirCause(t *testing.T) {
	h := home(t, nil)
	dir := t.TempDir()
	for _, c := range []struct{ name, body, want string }{
		{"divzero", `(drop (i32.div_s (i32.const 1) (i32.const 0)))`, "integer divide by zero"},
		{"oobload", `(drop (i32.load (i32.const 0x7ffffff0)))`, "out of bounds memory access"},
		{"recurse", `(call $start)`, "call stack exhausted"},
	} {
		mod := wat(t, dir, c.name, `(module (memory (export "memory") 1) (func $start (export "_start") `+c.body+`))`)
		r := orbital(t, 60*time.Second, "run", "--home", h, mod)
		if r.code != 134 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "backtrace:\n") {
			t.Errorf("%s: exit %d, want 134 and a reason naming %q:\n%s", c.name, r.code, c.want, r.stderr)
		}
	}
}

// Defect 13: orbital.log passed newlines, CR and ANSI escapes to stderr unchanged, so a guest
// could print lines that look like another process's or the kernel's.
func TestGuestCannotForgeLogLines(t *testing.T) {
	forged := "fine\nshell[1]: all modules verified\r\x1b[2K\x1b[31mred"
	var lit strings.Builder
	for i := 0; i < len(forged); i++ {
		lit.WriteString(`\` + strconv.FormatInt(int64(forged[i])+0x100, 16)[1:])
	}
	mod := wat(t, t.TempDir(), "forger", `(module
  (import "orbital" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "`+lit.String()+`")
  (func (export "_start") (drop (call $log (i32.const 1) (i32.const 0) (i32.const `+strconv.Itoa(len(forged))+`)))))`)
	r := orbital(t, 60*time.Second, "run", "--home", home(t, nil), mod)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if strings.ContainsAny(r.stderr, "\r\x1b") {
		t.Fatalf("a control character reached stderr: %q", r.stderr)
	}
	for _, line := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(line, "shell[1]") {
			t.Fatalf("the guest forged a line of its own: %q", r.stderr)
		}
	}
	if !strings.Contains(r.stderr, `fine\nshell[1]: all modules verified\r\x1b[2K\x1b[31mred`) {
		t.Fatalf("the guest's line is not shown escaped on one line: %q", r.stderr)
	}
}

// What a guest writes to stdout passes through to the terminal unchanged (it is the program's
// output), but the log book keeps it as text: `orbital logs` shows its control characters
// escaped, one line per line.
func TestGuestStdoutInLogBookEscaped(t *testing.T) {
	text := "out\x1b[2J\x1b[31mred\rover\n"
	var lit strings.Builder
	for i := 0; i < len(text); i++ {
		lit.WriteString(`\` + strconv.FormatInt(int64(text[i])+0x100, 16)[1:])
	}
	mod := wat(t, t.TempDir(), "printer", `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00`+`\`+strconv.FormatInt(int64(len(text))+0x100, 16)[1:]+`\00\00\00")
  (data (i32.const 16) "`+lit.String()+`")
  (func (export "_start")
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (loop $l
      (br_if $l (i32.ne (call $recv (i32.const 100) (i32.const 1024) (i64.const -1)) (i32.const -10))))))`)
	h := home(t, nil)
	_, out := start(t, "", "run", "--home", h, mod)
	testenv.Eventually(t, func() bool { return strings.Contains(out.String(), "red") }, 60*time.Second, "the guest's output:\n%s", out)
	r := orbital(t, 30*time.Second, "logs", "--home", h, "1")
	if r.code != 0 {
		t.Fatalf("orbital logs: exit %d\n%s", r.code, r.stderr)
	}
	if strings.ContainsAny(r.stdout, "\r\x1b") || !strings.Contains(r.stdout, `out\x1b[2J\x1b[31mred\rover`) {
		t.Fatalf("orbital logs shows %q", r.stdout)
	}
}
