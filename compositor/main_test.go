package compositor

import (
	"os"
	"runtime"
	"testing"
)

// GLFW and the GL context must live on the main OS thread. init runs there; locking it keeps
// TestMain there, and TestMain serves GL work sent by tests and benchmarks through onMain.
func init() { runtime.LockOSThread() }

var mainFuncs = make(chan func())

func TestMain(m *testing.M) {
	done := make(chan int)
	go func() { done <- m.Run() }()
	for {
		select {
		case f := <-mainFuncs:
			f()
		case code := <-done:
			os.Exit(code)
		}
	}
}

// onMain runs f on the main OS thread and waits for it. f must not call t.Fatal (it is not on
// the test's goroutine): return errors instead.
func onMain(f func()) {
	done := make(chan struct{})
	mainFuncs <- func() { defer close(done); f() }
	<-done
}
