package kernel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// clipStep is one clipboard call of a clipWAT guest: write (ptr, n) or read (ptr, n = buf_cap).
type clipStep struct {
	write  bool
	ptr, n int
	log    bool // read: log the bytes read (a kernel log line "<name>: <text>")
	goOn   bool // do not exit on a negative result
}

// clipWAT returns a guest with data at offset 16 that makes the calls in order. A negative
// result exits with its negation at once; otherwise the last result r exits with 20+r.
func clipWAT(data string, steps ...clipStep) string {
	var hex strings.Builder
	for i := 0; i < len(data); i++ {
		fmt.Fprintf(&hex, `\%02x`, data[i])
	}
	var body strings.Builder
	for _, s := range steps {
		fn := "$read"
		if s.write {
			fn = "$write"
		}
		fmt.Fprintf(&body, "  (local.set $r (call %s (i32.const %d) (i32.const %d)))\n", fn, s.ptr, s.n)
		if !s.goOn {
			body.WriteString("  (if (i32.lt_s (local.get $r) (i32.const 0)) (then (call $exit (i32.sub (i32.const 0) (local.get $r)))))\n")
		}
		if s.log {
			fmt.Fprintf(&body, "  (drop (call $log (i32.const 1) (i32.const %d) (local.get $r)))\n", s.ptr)
		}
	}
	return `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "orbital" "clipboard_read" (func $read (param i32 i32) (result i32)))
  (import "orbital" "clipboard_write" (func $write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "` + hex.String() + `")
  (func (export "_start") (local $r i32)
` + body.String() + `  (call $exit (i32.add (i32.const 20) (local.get $r))))
)`
}

func code(c int32) int { return -int(c) }

func TestClipboardABI(t *testing.T) {
	const buf = 4096 // guest offset of the read buffer
	for _, tc := range []struct {
		name   string
		before string // clipboard content before the run
		data   string
		steps  []clipStep
		exit   int
		after  string // clipboard content after the run
		logged string // a kernel log line the run must produce
	}{
		{"write then read back", "old", "héllo ✓", []clipStep{{write: true, ptr: 16, n: 10}, {ptr: buf, n: 64, log: true}}, 20 + 10, "héllo ✓", "héllo ✓"},
		{"read exact fit", "hello", "", []clipStep{{ptr: buf, n: 5, log: true}}, 25, "hello", "t: hello"},
		{"size query with buf_cap 0", "hello world", "", []clipStep{{ptr: 0, n: 0}}, 20 + 11, "hello world", ""},
		{"buffer too small", "hello world", "", []clipStep{{ptr: buf, n: 5}}, code(errTooSmall), "hello world", ""},
		{"empty clipboard", "", "", []clipStep{{ptr: buf, n: 8}}, 20, "", ""},
		{"read buffer outside memory", "x", "", []clipStep{{ptr: 65530, n: 100}}, code(errFault), "x", ""},
		{"read negative pointer", "x", "", []clipStep{{ptr: -8, n: 4}}, code(errFault), "x", ""},
		{"read negative cap", "x", "", []clipStep{{ptr: buf, n: -1}}, code(errInvalid), "x", ""},
		{"write invalid UTF-8", "keep", "ok\xff\xfe", []clipStep{{write: true, ptr: 16, n: 4}}, code(errInvalid), "keep", ""},
		{"write outside memory", "keep", "", []clipStep{{write: true, ptr: 65000, n: 1000}}, code(errFault), "keep", ""},
		{"write too big", "keep", "", []clipStep{{write: true, ptr: 0, n: MaxClipboard + 1}}, code(errTooBig), "keep", ""},
		{"write negative length", "keep", "", []clipStep{{write: true, ptr: 16, n: -1}}, code(errInvalid), "keep", ""},
		{"write empty", "keep", "", []clipStep{{write: true, ptr: 16, n: 0}}, 20, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &logSink{}
			clip := &MemClipboard{text: tc.before}
			k := newKernel(t, Config{AllowAll: true, Clipboard: clip, Log: sink.log})
			m := watModule(t, k, "t", clipWAT(tc.data, tc.steps...))
			in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second)
			if in.ExitCode != tc.exit {
				t.Errorf("exit %d (%s), want %d; log:\n%s", in.ExitCode, in.Reason, tc.exit, sink)
			}
			if got, _ := clip.ReadClipboard(context.Background()); got != tc.after {
				t.Errorf("clipboard %q, want %q", got, tc.after)
			}
			if tc.logged != "" && !strings.Contains(sink.String(), tc.logged) {
				t.Errorf("log lacks %q:\n%s", tc.logged, sink)
			}
		})
	}
}

// fakeClipboard is a Clipboard whose answers the test chooses: text, an error, or a hang that
// ignores ctx (a clipboard owner that never replies).
type fakeClipboard struct {
	text    string
	err     error
	hang    chan struct{} // non-nil: block until closed, whatever ctx says
	mu      sync.Mutex
	entered int
}

func (f *fakeClipboard) ReadClipboard(ctx context.Context) (string, error) {
	f.mu.Lock()
	f.entered++
	f.mu.Unlock()
	if f.hang != nil {
		<-f.hang
	}
	return f.text, f.err
}

func (f *fakeClipboard) WriteClipboard(ctx context.Context, text string) error {
	_, err := f.ReadClipboard(ctx)
	return err
}

func TestClipboardHostFaults(t *testing.T) {
	read := clipStep{ptr: 4096, n: 256, log: true}
	t.Run("no clipboard", func(t *testing.T) {
		sink := &logSink{}
		k := newKernel(t, Config{AllowAll: true, Log: sink.log})
		m := watModule(t, k, "t", clipWAT("hi", read, clipStep{write: true, ptr: 16, n: 2}))
		if in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second); in.ExitCode != code(errNotFound) {
			t.Errorf("exit %d (%s), want %d", in.ExitCode, in.Reason, code(errNotFound))
		}
		if !strings.Contains(sink.String(), "no clipboard") {
			t.Errorf("log lacks the no-clipboard line:\n%s", sink)
		}
	})
	t.Run("host text not UTF-8", func(t *testing.T) {
		sink := &logSink{}
		k := newKernel(t, Config{AllowAll: true, Clipboard: &fakeClipboard{text: "a\xffb"}, Log: sink.log})
		m := watModule(t, k, "t", clipWAT("", read))
		if in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second); in.ExitCode != 20+5 {
			t.Errorf("exit %d (%s), want 25 (a, U+FFFD, b)", in.ExitCode, in.Reason)
		}
		if !strings.Contains(sink.String(), "t: a\uFFFDb") {
			t.Errorf("log lacks the repaired text:\n%s", sink)
		}
	})
	t.Run("host error", func(t *testing.T) {
		sink := &logSink{}
		k := newKernel(t, Config{AllowAll: true, Clipboard: &fakeClipboard{err: errors.New("X server gone")}, Log: sink.log})
		m := watModule(t, k, "t", clipWAT("", read))
		if in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second); in.ExitCode != code(errInternal) {
			t.Errorf("exit %d (%s), want %d", in.ExitCode, in.Reason, code(errInternal))
		}
		if !strings.Contains(sink.String(), "clipboard_read: X server gone") {
			t.Errorf("log lacks the host error:\n%s", sink)
		}
	})
	t.Run("host too big", func(t *testing.T) {
		k := newKernel(t, Config{AllowAll: true, Clipboard: &fakeClipboard{text: strings.Repeat("x", MaxClipboard+1)}})
		m := watModule(t, k, "t", clipWAT("", clipStep{ptr: 0, n: 0}))
		if in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second); in.ExitCode != code(errTooBig) {
			t.Errorf("exit %d (%s), want %d", in.ExitCode, in.Reason, code(errTooBig))
		}
	})
}

// TestClipboardStuck: a clipboard that never answers costs the guest ERR_TIMEOUT after the
// timeout, and a kill ends a guest waiting on it at once.
func TestClipboardStuck(t *testing.T) {
	old := clipboardTimeout
	clipboardTimeout = 200 * time.Millisecond
	t.Cleanup(func() { clipboardTimeout = old }) // after the kernel below has closed
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	fake := &fakeClipboard{hang: hang}
	sink := &logSink{}
	k := newKernel(t, Config{AllowAll: true, Clipboard: fake, Log: sink.log})

	// Two reads: the first times out; the second finds the first still stuck in the clipboard
	// and times out at once, without a second goroutine.
	m := watModule(t, k, "t", clipWAT("", clipStep{ptr: 4096, n: 16, goOn: true}, clipStep{ptr: 4096, n: 16}))
	start := time.Now()
	if in := wait(t, spawn(t, k, m, SpawnOptions{}), 10*time.Second); in.ExitCode != code(errTimeout) {
		t.Errorf("exit %d (%s), want %d", in.ExitCode, in.Reason, code(errTimeout))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timed out after %v, want about %v", d, clipboardTimeout)
	}
	for _, want := range []string{"did not answer within 200ms", "previous clipboard call has not returned"} {
		if !strings.Contains(sink.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, sink)
		}
	}
	fake.mu.Lock()
	entered := fake.entered
	fake.mu.Unlock()
	if entered != 1 {
		t.Errorf("the clipboard was entered %d times, want 1", entered)
	}

	clipboardTimeout = time.Hour
	p := spawn(t, k, watModule(t, k, "t2", clipWAT("", clipStep{ptr: 4096, n: 16})), SpawnOptions{})
	waitState(t, p, Blocked, 10*time.Second)
	start = time.Now()
	if err := k.Kill(p.PID(), true); err != nil {
		t.Fatal(err)
	}
	in := wait(t, p, 5*time.Second)
	if in.ExitCode != ExitKilled {
		t.Errorf("exit %d (%s) after kill, want %d", in.ExitCode, in.Reason, ExitKilled)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("kill of a guest waiting on the clipboard took %v", d)
	}
}

func TestClipboardPolicy(t *testing.T) {
	st := policyHome(t, map[string]string{
		"clip.toml":  "[module]\nmatch = \"clip\"\n[ui]\nclipboard = true\n",
		"plain.toml": "[module]\nmatch = \"plain\"\n[ui]\nwindows = true\n",
	})
	sink := &logSink{}
	clip := &MemClipboard{text: "secret"}
	k := newKernel(t, Config{Clipboard: clip, Policies: st, Log: sink.log})
	steps := []clipStep{{write: true, ptr: 16, n: 3}, {ptr: 4096, n: 64}}
	for _, tc := range []struct {
		name string
		want int
	}{
		{"clip", 23},
		{"plain", code(errDenied)},
		{"stranger", code(errDenied)},
	} {
		m := watModule(t, k, tc.name, clipWAT("new", steps...))
		if in := wait(t, spawn(t, k, m, SpawnOptions{UI: true}), 10*time.Second); in.ExitCode != tc.want {
			t.Errorf("%s: exit %d (%s), want %d", tc.name, in.ExitCode, in.Reason, tc.want)
		}
	}
	// Only the granted module wrote; a denied read never reached the clipboard either.
	if got, _ := clip.ReadClipboard(context.Background()); got != "new" {
		t.Errorf("clipboard %q, want %q", got, "new")
	}
	readOnly := watModule(t, k, "stranger", clipWAT("", clipStep{ptr: 4096, n: 64}))
	if in := wait(t, spawn(t, k, readOnly, SpawnOptions{}), 10*time.Second); in.ExitCode != code(errDenied) {
		t.Errorf("stranger read: exit %d, want %d", in.ExitCode, code(errDenied))
	}
	got := auditLines(t, st)
	want := []string{"plain clipboard write", "stranger clipboard write", "stranger clipboard read"}
	if got != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if !strings.Contains(sink.String(), "`[ui] clipboard = true` in a policy file matching plain") {
		t.Errorf("log lacks the how-to-grant hint:\n%s", sink)
	}
}

// BenchmarkClipboard measures one clipboard call from a guest (a 64-byte text in a
// MemClipboard: the kernel's own cost, a goroutine hand-off included) against the cheapest
// host call, pid. Each round spawns a guest that makes `calls` calls; ns/call is the figure.
func BenchmarkClipboard(b *testing.B) {
	const calls = 20000
	loop := func(call string) string {
		return `(module
  (import "orbital" "pid" (func $pid (result i32)))
  (import "orbital" "clipboard_read" (func $read (param i32 i32) (result i32)))
  (import "orbital" "clipboard_write" (func $write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "` + strings.Repeat("x", 64) + `")
  (func (export "_start") (local $n i32)
    (local.set $n (i32.const ` + fmt.Sprint(calls) + `))
    (loop $l
      (if (i32.lt_s ` + call + ` (i32.const 0)) (then unreachable))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))))`
	}
	for _, bc := range []struct{ name, call string }{
		{"base=pid", `(call $pid)`},
		{"clipboard_read", `(call $read (i32.const 4096) (i32.const 256))`},
		{"clipboard_write", `(call $write (i32.const 16) (i32.const 64))`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			k := newKernel(b, Config{AllowAll: true, Clipboard: &MemClipboard{text: strings.Repeat("y", 64)}})
			m := watModule(b, k, bc.name, loop(bc.call))
			b.ReportAllocs()
			for b.Loop() {
				if in := wait(b, spawn(b, k, m, SpawnOptions{}), time.Minute); in.ExitCode != 0 {
					b.Fatalf("exit %d: %s", in.ExitCode, in.Reason)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*calls), "ns/call")
		})
	}
}
