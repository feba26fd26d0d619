package jsrt

import (
	"errors"
	"fmt"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// MaxCallDepth bounds JavaScript recursion: deeper is a RangeError with the stack, not a
// process that grows until its memory limit.
const MaxCallDepth = 4096

// Runtime is one script's JavaScript world. Use it from one goroutine.
type Runtime struct {
	host Host
	vm   *goja.Runtime
	file string // the script's file name, as errors name it

	timers  timerQueue
	frames  frameQueue
	windows map[int32]*window // by surface id
	subs    map[int32]*subscription
	onMsg   []goja.Callable // direct messages
	onQuit  []goja.Callable

	// unhandled are rejected promises without a handler yet, in rejection order; checked
	// after every callback (a handler attached in the same turn takes one off).
	unhandled []*goja.Promise

	exitCode *int     // set by orbital.exit
	failure  *Failure // set by an uncaught exception: the loop ends with it

	u8 goja.Value // the Uint8Array constructor
}

// Failure is how a script failed: a syntax error or an uncaught exception. Reason is what the
// process's crash reason says: "app.js:3:7: SyntaxError: Unexpected token )" on one line, or
// the exception and its JavaScript stack.
type Failure struct{ Reason string }

func (f *Failure) Error() string { return f.Reason }

// exitRequest interrupts the script when it calls orbital.exit.
type exitRequest struct{ code int }

// New makes a runtime for the script named file over host; nothing runs until Run.
func New(host Host, file string) *Runtime {
	r := &Runtime{host: host, vm: goja.New(), file: file,
		windows: map[int32]*window{}, subs: map[int32]*subscription{}}
	r.vm.SetMaxCallStackSize(MaxCallDepth)
	r.vm.SetParserOptions(parser.WithDisableSourceMaps) // eval: never look for source maps
	r.vm.SetTimeSource(func() time.Time { return time.Now() })
	r.vm.SetPromiseRejectionTracker(r.trackRejection)
	r.u8 = r.vm.Get("Uint8Array")
	r.bindGlobals()
	return r
}

// Run runs the script src and then its event loop. It returns the exit code (0 unless the
// script called orbital.exit), a *Failure for a syntax error or an uncaught exception, or the
// host error that stopped the loop.
func (r *Runtime) Run(src string) (int, error) {
	prg, err := r.compile(src)
	if err != nil {
		return 0, err
	}
	_, err = r.vm.RunProgram(prg)
	r.settle(err)
	return r.loop()
}

// compile parses and compiles src; source maps are never loaded (the script has no files).
func (r *Runtime) compile(src string) (*goja.Program, error) {
	ast, err := parser.ParseFile(nil, r.file, src, 0, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, r.syntaxFailure(err)
	}
	prg, err := goja.CompileAST(ast, false)
	if err != nil {
		return nil, r.syntaxFailure(err)
	}
	return prg, nil
}

// call runs a JavaScript callback from the loop; an uncaught exception or orbital.exit is
// recorded and stops the loop.
func (r *Runtime) call(fn goja.Callable, this goja.Value, args ...goja.Value) goja.Value {
	if r.done() {
		return goja.Undefined()
	}
	if this == nil {
		this = goja.Undefined()
	}
	v, err := fn(this, args...)
	r.settle(err)
	return v
}

// settle records how a call from Go into JavaScript ended.
func (r *Runtime) settle(err error) {
	if err == nil || r.done() {
		return
	}
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		if ex, ok := intr.Value().(exitRequest); ok {
			code := ex.code
			r.exitCode = &code
			return
		}
	}
	r.failure = r.exceptionFailure(err)
}

// done reports that the loop must end: orbital.exit was called or a failure happened.
func (r *Runtime) done() bool { return r.exitCode != nil || r.failure != nil }

// fail stops the loop with a failure the runtime itself found (not a JavaScript exception).
func (r *Runtime) fail(format string, args ...any) {
	if !r.done() {
		r.failure = &Failure{Reason: fmt.Sprintf(format, args...)}
	}
}

// trackRejection keeps the rejected promises nobody handles yet.
func (r *Runtime) trackRejection(p *goja.Promise, op goja.PromiseRejectionOperation) {
	switch op {
	case goja.PromiseRejectionReject:
		r.unhandled = append(r.unhandled, p)
	case goja.PromiseRejectionHandle:
		for i, q := range r.unhandled {
			if q == p {
				r.unhandled = append(r.unhandled[:i], r.unhandled[i+1:]...)
				break
			}
		}
	}
}

// checkRejections fails the script on a rejection that stayed unhandled through a whole
// callback and its promise jobs, as Node does.
func (r *Runtime) checkRejections() {
	if len(r.unhandled) == 0 || r.done() {
		return
	}
	p := r.unhandled[0]
	r.unhandled = nil
	r.failure = &Failure{Reason: "Uncaught (in promise) " + r.describe(p.Result())}
}
