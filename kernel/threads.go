package kernel

import (
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Process goroutines are kept for the next process. A new goroutine starts with a small stack
// that the first host call (a cgo callback) grows by copying, once per process; a goroutine
// that ran a process already has the stack a process needs. An idle one waits unlocked from
// its OS thread, so handing it a process is a channel send that makes it runnable on the
// sender's P, like a go statement, without waking another thread.

// maxIdleThreads bounds the goroutines kept waiting for a process.
const maxIdleThreads = 8

// threadPool is the kernel's idle process goroutines.
type threadPool struct {
	mu     sync.Mutex
	idle   []chan procJob
	closed bool
}

// procJob is a process to run and its entry point.
type entryFunc = *wasmtime.Func

type procJob struct {
	p     *Process
	entry entryFunc
}

// start runs j on an idle goroutine, or a new one.
func (t *threadPool) start(j procJob) {
	t.mu.Lock()
	if n := len(t.idle); n > 0 {
		ch := t.idle[n-1]
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		ch <- j
		return
	}
	t.mu.Unlock()
	go t.worker(j)
}

// worker runs processes until the pool is full or closed.
func (t *threadPool) worker(j procJob) {
	var ch chan procJob
	for {
		j.p.run(j.entry)
		t.mu.Lock()
		if t.closed || len(t.idle) >= maxIdleThreads {
			t.mu.Unlock()
			return
		}
		if ch == nil {
			ch = make(chan procJob, 1)
		}
		t.idle = append(t.idle, ch)
		t.mu.Unlock()
		var ok bool
		if j, ok = <-ch; !ok {
			return
		}
	}
}

// close ends the idle goroutines; workers running a process end after it.
func (t *threadPool) close() {
	t.mu.Lock()
	t.closed = true
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, ch := range idle {
		close(ch)
	}
}
