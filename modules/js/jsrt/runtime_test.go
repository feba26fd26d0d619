package jsrt

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"parse", "let a = 1;\nlet x = ;\n", "app.js:2:9: SyntaxError: Unexpected token ;"},
		{"unclosed", "function f() {\n  return 1\n", "app.js:3:1: SyntaxError: Unexpected end of input"},
		{"compile", "let a = 1;\nlet a = 2;\n", "app.js:2:5: SyntaxError: Identifier 'a' has already been declared"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHost(t)
			_, err := h.run(tc.src)
			var f *Failure
			if !errors.As(err, &f) || f.Reason != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if strings.Contains(f.Reason, "\n") {
				t.Fatalf("a syntax error is one line: %q", f.Reason)
			}
		})
	}
}

func TestUncaughtExceptionStack(t *testing.T) {
	h := newFakeHost(t)
	_, err := h.run("function inner() {\n  throw new Error('boom')\n}\nfunction outer() { inner() }\nouter()\n")
	want := "Uncaught Error: boom\n    at inner (app.js:2:9)\n    at outer (app.js:4:25)\n    at app.js:5:6"
	if err == nil || err.Error() != want {
		t.Fatalf("got %q\nwant %q", err, want)
	}
}

func TestExceptionInTimerFailsLater(t *testing.T) {
	h := newFakeHost(t)
	_, err := h.run("console.log('top'); setTimeout(function tick() { null.x }, 50)")
	if err == nil || !strings.HasPrefix(err.Error(), "Uncaught TypeError: Cannot read property 'x' of undefined\n    at tick (app.js:1:") {
		t.Fatalf("got %v", err)
	}
	if h.out.String() != "top\n" || h.now != 50*time.Millisecond {
		t.Fatalf("stdout %q at %v", h.out.String(), h.now)
	}
}

func TestThrownValuesAndRecursion(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"throw 'plain'", "Uncaught plain\n    at app.js:1:1"},
		{"throw {code: 3}", `Uncaught {"code":3}`},
		{"function f() { f() }\nf()", "Uncaught RangeError: Maximum call stack size exceeded\n    at f (app.js:1:17)"},
	} {
		_, err := newFakeHost(t).run(tc.src)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got %q, want prefix %q", tc.src, err, tc.want)
		}
		if err != nil && strings.Count(err.Error(), "\n") > maxFrames+1 {
			t.Errorf("%s: %d lines, want at most %d frames", tc.src, strings.Count(err.Error(), "\n"), maxFrames)
		}
	}
}

func TestUnhandledRejection(t *testing.T) {
	h := newFakeHost(t)
	_, err := h.run("async function f() { throw new Error('later') }\nf()")
	if err == nil || !strings.HasPrefix(err.Error(), "Uncaught (in promise) Error: later\n    at f (app.js:1:") {
		t.Fatalf("got %v", err)
	}
	h = newFakeHost(t)
	h.mustRun("Promise.reject(new Error('x')).catch(e => console.log('caught', e.message))")
	if h.out.String() != "caught x\n" {
		t.Fatalf("stdout %q", h.out.String())
	}
}

func TestEventLoopOrder(t *testing.T) {
	h := newFakeHost(t)
	h.mustRun(`
const log = (...a) => console.log(...a)
setTimeout(() => log('t20', performance.now()), 20)
setTimeout(() => log('t10', performance.now()), 10)
setTimeout(() => log('t0'), 0)
Promise.resolve().then(() => log('micro'))
queueMicrotask(() => log('queued'))
let n = 0
const iv = setInterval(() => { n++; log('iv', n); if (n === 3) clearInterval(iv) }, 15)
const dead = setTimeout(() => log('never'), 5)
clearTimeout(dead)
;(async () => { await null; log('await') })()
log('sync')
`)
	want := "sync\nmicro\nqueued\nawait\nt0\nt10 10\niv 1\nt20 20\niv 2\niv 3\n"
	if h.out.String() != want {
		t.Fatalf("order:\n%s\nwant:\n%s", h.out.String(), want)
	}
	if h.now != 45*time.Millisecond {
		t.Fatalf("ended at %v, want 45ms (the last interval)", h.now)
	}
}

func TestExitAndArgs(t *testing.T) {
	h := newFakeHost(t)
	code := h.mustRun(`console.log(orbital.pid, orbital.file, orbital.args.join(','), JSON.stringify(orbital.env))
setTimeout(() => console.log('never'), 10)
orbital.exit(3)
console.log('not reached')`)
	if code != 3 || h.out.String() != "7 app.js a,b {\"LANG\":\"C\",\"EMPTY\":\"\",\"A\":\"b=c\"}\n" {
		t.Fatalf("exit %d, stdout %q", code, h.out.String())
	}
}

func TestConsoleAndText(t *testing.T) {
	h := newFakeHost(t)
	h.mustRun(`console.log('s', 1, true, null, undefined, {a: [1, 'x']}, [2])
console.error(new Error('bad'))
const b = new TextEncoder().encode('héllo')
console.info(b.length, new TextDecoder().decode(b), new TextDecoder().decode(b.subarray(0, 2)))`)
	if want := "s 1 true null undefined {\"a\":[1,\"x\"]} [2]\n6 héllo h\ufffd\n"; h.out.String() != want {
		t.Fatalf("stdout %q, want %q", h.out.String(), want)
	}
	if !strings.HasPrefix(h.errOut.String(), "Error: bad\n    at app.js:2:15") {
		t.Fatalf("stderr %q", h.errOut.String())
	}
}

func TestQuitRunsHandlers(t *testing.T) {
	h := newFakeHost(t)
	h.limit = time.Hour
	code := h.mustRun(`orbital.on('quit', () => console.log('bye'))
setInterval(() => {}, 1000)`)
	if code != 0 || h.out.String() != "bye\n" {
		t.Fatalf("exit %d, stdout %q", code, h.out.String())
	}
}

// TestExitFromPromiseJobs: orbital.exit inside a promise reaction (top level, in a timer,
// after an await) ends the script at once with that status.
func TestExitFromPromiseJobs(t *testing.T) {
	for want, src := range map[int]string{
		4: `Promise.resolve().then(() => orbital.exit(4))`,
		5: `setTimeout(() => { Promise.resolve().then(() => orbital.exit(5)) }, 5)`,
		6: `(async () => { await null; orbital.exit(6) })()`,
	} {
		h := newFakeHost(t)
		code := h.mustRun(src + "\nsetTimeout(() => console.log('never'), 10)")
		if code != want || h.out.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q", src, code, h.out.String())
		}
	}
}
