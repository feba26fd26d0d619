package console

import (
	"io"
	"sync"
)

// inputQueue is the program's stdin: lines the user typed, waiting to be read. The console's
// loop pushes without ever blocking (a program that never reads must not freeze its window);
// Read blocks until there is something or the input ended.
type inputQueue struct {
	mu   sync.Mutex
	cond *sync.Cond
	buf  []byte
	eof  bool
}

// maxQueued bounds what waits unread (a paste into a program that does not read).
const maxQueued = 1 << 20

func newInputQueue() *inputQueue {
	q := &inputQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// push queues b; it returns false (queuing nothing) when the queue is full or ended.
func (q *inputQueue) push(b []byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.eof || len(q.buf)+len(b) > maxQueued {
		return false
	}
	q.buf = append(q.buf, b...)
	q.cond.Broadcast()
	return true
}

// end marks the end of input: Read returns io.EOF once the queue is drained.
func (q *inputQueue) end() {
	q.mu.Lock()
	q.eof = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

func (q *inputQueue) Read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.buf) == 0 && !q.eof {
		q.cond.Wait()
	}
	if len(q.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, q.buf)
	q.buf = q.buf[n:]
	if len(q.buf) == 0 {
		q.buf = nil
	}
	return n, nil
}
