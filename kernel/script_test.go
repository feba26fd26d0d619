package kernel

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// scriptWat imports the script family on top of wat's imports.
func scriptWat(body string) string {
	w := wat(body)
	i := strings.Index(w, "  (memory")
	return w[:i] + `  (import "orbital" "script_read" (func $script_read (param i32 i32) (result i32)))
  (import "orbital" "proc_fail" (func $proc_fail (param i32 i32) (result i32)))
` + w[i:]
}

func TestScriptRead(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	// Exit code: the length from a cap-0 call, checked against a full read that puts the
	// file name's length first and the source after the name.
	m := watModule(t, k, "reader", scriptWat(`(func (export "_start") (local $n i32)
  (local.set $n (call $script_read (i32.const 0) (i32.const 0)))
  (if (i32.ne (call $script_read (i32.const 2048) (i32.const 4)) (i32.const -4)) (then unreachable))
  (if (i32.ne (call $script_read (i32.const 2048) (local.get $n)) (local.get $n)) (then unreachable))
  (if (i32.ne (i32.load (i32.const 2048)) (i32.const 6)) (then unreachable))
  (if (i32.ne (i32.load8_u (i32.const 2058)) (i32.const 120)) (then unreachable))
  (call $exit (local.get $n)))`))
	script := &Script{File: "app.js", Source: []byte("x=1")}
	bound := m.WithScript("app", "/src/app.js", script)
	for _, tc := range []struct {
		name string
		m    *Module
		o    SpawnOptions
	}{{"options", m, SpawnOptions{Name: "app", Script: script}}, {"bound", bound, SpawnOptions{}}} {
		in := wait(t, spawn(t, k, tc.m, tc.o), 5*time.Second)
		if want := 4 + 6 + 3; in.ExitCode != want {
			t.Fatalf("%s: exit %d (%s), want %d", tc.name, in.ExitCode, in.Reason, want)
		}
		if in.Name != "app" || in.Digest != script.Digest() || in.Digest == m.Digest {
			t.Fatalf("%s: a script process is named %q with digest %s (engine's %s)", tc.name, in.Name, in.Digest, m.Digest)
		}
	}
	if bound.Digest != m.Digest || m.Script != nil || bound.Path != "/src/app.js" {
		t.Fatalf("WithScript changed the engine or kept its code's digest wrong: %+v", bound)
	}
}

func TestScriptReadBadInput(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	for _, tc := range []struct {
		name, call string
		script     *Script
		want       int32
	}{
		{"no script", `(call $script_read (i32.const 0) (i32.const 0))`, nil, errNotFound},
		{"outside memory", `(call $script_read (i32.const 65000) (i32.const 1000))`, &Script{File: "a.js"}, errFault},
		{"negative cap", `(call $script_read (i32.const 0) (i32.const -1))`, &Script{File: "a.js"}, errInvalid},
		{"fail outside memory", `(call $proc_fail (i32.const 65530) (i32.const 100))`, nil, errFault},
		{"fail negative length", `(call $proc_fail (i32.const 0) (i32.const -1))`, nil, errInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := watModule(t, k, "bad", scriptWat(`(func (export "_start")
  (call $exit (i32.sub (i32.const 0) `+tc.call+`)))`))
			in := wait(t, spawn(t, k, m, SpawnOptions{Script: tc.script}), 5*time.Second)
			if in.State != Exited || in.ExitCode != -int(tc.want) {
				t.Fatalf("%v exit %d (%s), want %d", in.State, in.ExitCode, in.Reason, -tc.want)
			}
		})
	}
}

func TestProcFail(t *testing.T) {
	k := newKernel(t, Config{AllowAll: true})
	for _, tc := range []struct{ name, data, want string }{
		{"stack", `Error: boom\n    at f (app.js:1:21)\n`, "Error: boom\n    at f (app.js:1:21)"},
		{"escapes", `bad \1b[31mred\07`, `bad \x1b[31mred\x07`},
		{"invalid utf-8", `a\ffb`, "a\ufffdb"},
		{"empty", ``, "failed (no reason given)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := watModule(t, k, "failer", scriptWat(`(data (i32.const 256) "`+tc.data+`")
  (func (export "_start")
  (drop (call $proc_fail (i32.const 256) (i32.const `+strconv.Itoa(watLen(tc.data))+`)))
  (call $exit (i32.const 7)))`))
			in := wait(t, spawn(t, k, m, SpawnOptions{}), 5*time.Second)
			if in.State != Crashed || in.ExitCode != ExitCrashed || in.Reason != tc.want {
				t.Fatalf("%v %d %q, want crashed 134 %q", in.State, in.ExitCode, in.Reason, tc.want)
			}
		})
	}
}

func TestFailReasonCut(t *testing.T) {
	long := strings.Repeat("é", maxFailReason) // 2 bytes each: the cut falls inside one
	got := failReason([]byte(long))
	if !strings.HasSuffix(got, " [cut at 4 KiB]") || strings.ContainsRune(got, '\ufffd') || len(got) > maxFailReason+20 {
		t.Fatalf("cut reason ends %q (%d bytes)", got[len(got)-30:], len(got))
	}
}

// watLen is the byte length of a WAT string literal with \xx escapes.
func watLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if s[i+1] == 'n' || s[i+1] == 't' {
				i++
			} else {
				i += 2
			}
		}
		n++
	}
	return n
}
