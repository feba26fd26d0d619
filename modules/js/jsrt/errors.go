package jsrt

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// maxFrames is how many stack frames a failure shows; the rest are counted.
const maxFrames = 16

// pcSuffix is goja's bytecode offset after a position ("app.js:3:9(12)"), which means
// nothing to a script's author.
var pcSuffix = regexp.MustCompile(`:(\d+):(\d+)\(\d+\)`)

// syntaxFailure turns a parse or compile error into one line: file:line:column: SyntaxError:
// message (the first error only; the parser's later ones usually follow from it).
func (r *Runtime) syntaxFailure(err error) *Failure {
	var list parser.ErrorList
	var one *parser.Error
	var cse *goja.CompilerSyntaxError
	switch {
	case errors.As(err, &list) && len(list) > 0:
		p := list[0].Position
		return r.syntaxLine(p.Line, p.Column, list[0].Message)
	case errors.As(err, &one):
		return r.syntaxLine(one.Position.Line, one.Position.Column, one.Message)
	case errors.As(err, &cse) && cse.File != nil:
		p := cse.File.Position(cse.Offset)
		return r.syntaxLine(p.Line, p.Column, cse.Message)
	}
	return &Failure{Reason: r.file + ": SyntaxError: " + oneLine(err.Error())}
}

func (r *Runtime) syntaxLine(line, col int, msg string) *Failure {
	return &Failure{Reason: fmt.Sprintf("%s:%d:%d: SyntaxError: %s", r.file, line, col, oneLine(msg))}
}

// exceptionFailure describes an exception that reached the loop: "Uncaught " and the thrown
// value, then its stack, one "    at function (file:line:column)" line per frame.
func (r *Runtime) exceptionFailure(err error) *Failure {
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return &Failure{Reason: "Uncaught RangeError: Maximum call stack size exceeded" + stackText(so.Stack())}
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		head := "exception"
		if v := ex.Value(); v != nil {
			head = r.valueHead(v)
		}
		return &Failure{Reason: "Uncaught " + head + stackText(ex.Stack())}
	}
	return &Failure{Reason: "Uncaught " + oneLine(err.Error())}
}

// describe renders a rejection reason: an Error with its stack, anything else as a string.
func (r *Runtime) describe(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		if st := o.Get("stack"); st != nil && !goja.IsUndefined(st) && !goja.IsNull(st) {
			return cleanStack(st.String())
		}
	}
	return r.valueHead(v)
}

// valueHead is the first line of a thrown value: "Error: boom", or the value as a string.
func (r *Runtime) valueHead(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	s := v.String()
	if o, ok := v.(*goja.Object); ok && o.ClassName() == "Object" {
		if b, err := o.MarshalJSON(); err == nil {
			s = string(b)
		}
	}
	return oneLine(s)
}

// stackText formats frames for a failure reason.
func stackText(frames []goja.StackFrame) string {
	var b strings.Builder
	for i := range frames {
		if i == maxFrames {
			fmt.Fprintf(&b, "\n    ... %d more", len(frames)-maxFrames)
			break
		}
		var fb bytes.Buffer
		frames[i].Write(&fb)
		b.WriteString("\n    at ")
		b.WriteString(pcSuffix.ReplaceAllString(fb.String(), ":$1:$2"))
	}
	return b.String()
}

// cleanStack rewrites an Error's stack property ("Error: x\n\tat f (a.js:1:2(3))") in the
// failure's form.
func cleanStack(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "at ") {
			lines[i] = "    " + pcSuffix.ReplaceAllString(t, ":$1:$2")
		}
	}
	if len(lines) > maxFrames+1 {
		n := len(lines) - maxFrames - 1
		lines = append(lines[:maxFrames+1], fmt.Sprintf("    ... %d more", n))
	}
	return strings.Join(lines, "\n")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// throwError throws a JavaScript Error from a Go function called by the script; code, when
// not empty, becomes its code property ("ERR_DENIED").
func (r *Runtime) throwError(code, format string, args ...any) {
	ctor := r.vm.Get("Error")
	e, err := r.vm.New(ctor, r.vm.ToValue(fmt.Sprintf(format, args...)))
	if err != nil {
		panic(r.vm.NewTypeError(fmt.Sprintf(format, args...)))
	}
	if code != "" {
		e.Set("code", code)
	}
	panic(e)
}

// errorValue is throwError's Error as a value, for rejecting a promise.
func (r *Runtime) errorValue(code, msg string) goja.Value {
	e, err := r.vm.New(r.vm.Get("Error"), r.vm.ToValue(msg))
	if err != nil {
		return r.vm.ToValue(msg)
	}
	if code != "" {
		e.Set("code", code)
	}
	return e
}
