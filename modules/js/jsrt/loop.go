package jsrt

import (
	"container/heap"
	"errors"
	"time"

	"github.com/dop251/goja"
	"github.com/orbital/orbital/modules/sdk"
)

// FramePeriod is the animation frame period: requestAnimationFrame callbacks and the present
// of windows drawn on run at most this often.
const FramePeriod = time.Second / 60

// maxBatch bounds the messages handled between two looks at the timers and frames, so a flood
// of input cannot starve animation.
const maxBatch = 256

// timer is one setTimeout or setInterval.
type timer struct {
	id       int
	due      time.Duration
	interval time.Duration // 0: once
	fn       goja.Callable
	args     []goja.Value
	seq      uint64 // ties on due run in creation order
	index    int    // in the heap; -1 once removed
}

// timerQueue is a min-heap of timers by due time, with an index by id for clearTimeout.
type timerQueue struct {
	h    timerHeap
	byID map[int]*timer
	next int
	seq  uint64
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	return h[i].due < h[j].due || (h[i].due == h[j].due && h[i].seq < h[j].seq)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *timerHeap) Push(x any)   { t := x.(*timer); t.index = len(*h); *h = append(*h, t) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

func (q *timerQueue) add(t *timer) int {
	if q.byID == nil {
		q.byID = map[int]*timer{}
	}
	q.next++
	q.seq++
	t.id, t.seq = q.next, q.seq
	q.byID[t.id] = t
	heap.Push(&q.h, t)
	return t.id
}

func (q *timerQueue) cancel(id int) {
	if t, ok := q.byID[id]; ok {
		delete(q.byID, id)
		if t.index >= 0 {
			heap.Remove(&q.h, t.index)
		}
	}
}

// pop returns the earliest timer due at or before now, taking it out of the queue.
func (q *timerQueue) pop(now time.Duration) *timer {
	if len(q.h) == 0 || q.h[0].due > now {
		return nil
	}
	t := heap.Pop(&q.h).(*timer)
	delete(q.byID, t.id)
	return t
}

// frameQueue holds the requestAnimationFrame callbacks waiting for the next frame.
type frameQueue struct {
	cbs  map[int]goja.Callable
	ids  []int // request order
	next int
	last time.Duration // when the last frame ran
	ran  bool          // a frame ran already (last is meaningful)
}

// loop runs turns until nothing can happen any more, the script exits or fails, or the host
// says the process is stopping.
func (r *Runtime) loop() (int, error) {
	for {
		r.checkRejections()
		if r.done() {
			return r.result()
		}
		now := r.host.Now()
		r.runTimers(now)
		if r.frameDue(now) {
			r.runFrame(now)
		}
		r.checkRejections()
		if r.done() {
			return r.result()
		}
		if !r.alive() {
			return 0, nil
		}
		stop, err := r.receive(r.wait(r.host.Now()))
		if err != nil || stop {
			r.closeWindows()
			if err != nil {
				return 0, err
			}
			return r.result()
		}
	}
}

// result is what Run returns once the loop ended by exit, failure or quit.
func (r *Runtime) result() (int, error) {
	r.closeWindows()
	if r.failure != nil {
		return 1, r.failure
	}
	if r.exitCode != nil {
		return *r.exitCode, nil
	}
	return 0, nil
}

// alive reports whether anything could still call the script: a timer, an animation frame,
// an open window, a subscription or a direct-message handler.
func (r *Runtime) alive() bool {
	return len(r.timers.h) > 0 || len(r.frames.ids) > 0 || len(r.windows) > 0 || len(r.subs) > 0 || len(r.onMsg) > 0
}

// runTimers runs every timer due by now; an interval is queued again for its next period
// (skipping periods it fell behind on).
func (r *Runtime) runTimers(now time.Duration) {
	for !r.done() {
		t := r.timers.pop(now)
		if t == nil {
			return
		}
		if t.interval > 0 {
			t.due += t.interval
			if t.due <= now {
				t.due = now + t.interval
			}
			r.timers.byID[t.id] = t
			heap.Push(&r.timers.h, t)
		}
		r.call(t.fn, nil, t.args...)
		r.checkRejections()
	}
}

// frameDue reports whether a frame should run now: something waits for one (an animation
// callback or a window drawn on) and a period has passed since the last.
func (r *Runtime) frameDue(now time.Duration) bool {
	return r.wantFrame() && (!r.frames.ran || now-r.frames.last >= FramePeriod)
}

func (r *Runtime) wantFrame() bool {
	if len(r.frames.ids) > 0 {
		return true
	}
	for _, w := range r.windows {
		if w.dirty {
			return true
		}
	}
	return false
}

// runFrame calls the animation callbacks requested before this frame (those they request run
// next frame), then presents every window drawn on.
func (r *Runtime) runFrame(now time.Duration) {
	r.frames.last, r.frames.ran = now, true
	ids, cbs := r.frames.ids, r.frames.cbs
	r.frames.ids, r.frames.cbs = nil, nil
	ts := r.vm.ToValue(float64(now) / float64(time.Millisecond))
	for _, id := range ids {
		if fn, ok := cbs[id]; ok {
			r.call(fn, nil, ts)
			r.checkRejections()
		}
	}
	r.presentAll()
}

// wait is how long the loop may block in Recv: until the next timer or frame, or forever.
func (r *Runtime) wait(now time.Duration) time.Duration {
	until := Forever
	if len(r.timers.h) > 0 {
		until = max(r.timers.h[0].due-now, 0)
	}
	if r.wantFrame() {
		next := time.Duration(0)
		if r.frames.ran {
			next = max(r.frames.last+FramePeriod-now, 0)
		}
		if until < 0 || next < until {
			until = next
		}
	}
	return until
}

// receive waits up to timeout for a message and handles it and whatever else is queued (at
// most maxBatch). stop reports a quit request or a stopping process.
func (r *Runtime) receive(timeout time.Duration) (stop bool, err error) {
	for n := 0; n < maxBatch && !r.done(); n++ {
		m, err := r.host.Recv(timeout)
		switch {
		case errors.Is(err, sdk.ErrTimeout):
			return false, nil
		case errors.Is(err, sdk.ErrClosed):
			r.quit()
			return true, nil
		case err != nil:
			return true, err
		}
		if m.Kind == sdk.KindQuit {
			r.quit()
			return true, nil
		}
		r.dispatch(m)
		r.checkRejections()
		timeout = 0 // drain what is queued, then look at the timers again
	}
	return false, nil
}

// quit runs the 'quit' handlers (orbital.on('quit', fn)) before the loop ends.
func (r *Runtime) quit() {
	for _, fn := range r.onQuit {
		r.call(fn, nil)
	}
}

// dispatch hands one message to the script.
func (r *Runtime) dispatch(m sdk.Message) {
	switch m.Kind {
	case sdk.KindEvent:
		r.dispatchEvent(m)
	case sdk.KindPublish, sdk.KindRequest:
		r.dispatchTopic(m)
	case sdk.KindReply:
		// a reply that came after its request gave up: nobody waits for it
	case sdk.KindExit:
		// scripts start no children
	default:
		if len(r.onMsg) == 0 {
			return
		}
		msg := r.messageObject(m)
		for _, fn := range r.onMsg {
			r.call(fn, nil, msg)
		}
	}
}
