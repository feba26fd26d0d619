package kernel

import (
	"sync"
	"sync/atomic"

	"github.com/orbital/orbital/bus"
)

// pidTable maps pids to their policy bindings for the bus's Check hook, which runs on every
// message: a lookup is two atomic loads for the kernel's own pids (which count up from 1) and a
// sync.Map lookup for the rest (native drivers live at 1<<20 and up).
type pidTable struct {
	mu    sync.Mutex // serialises page creation
	pages [pidPages]atomic.Pointer[pidPage]
	high  sync.Map // bus.PID -> *procPolicy
}

const (
	pidPageBits = 8
	pidPages    = 256 // pids below pidPages<<pidPageBits use pages
)

type pidPage [1 << pidPageBits]atomic.Pointer[procPolicy]

// load is small enough to inline into the bus hook; large pids take loadHigh.
func (t *pidTable) load(pid bus.PID) *procPolicy {
	if pid >= pidPages<<pidPageBits {
		return t.loadHigh(pid)
	}
	if pg := t.pages[pid>>pidPageBits].Load(); pg != nil {
		return pg[pid&(1<<pidPageBits-1)].Load()
	}
	return nil
}

func (t *pidTable) loadHigh(pid bus.PID) *procPolicy {
	if v, ok := t.high.Load(pid); ok {
		return v.(*procPolicy)
	}
	return nil
}

func (t *pidTable) store(pid bus.PID, pp *procPolicy) {
	if pid >= pidPages<<pidPageBits {
		t.high.Store(pid, pp)
		return
	}
	i := pid >> pidPageBits
	pg := t.pages[i].Load()
	if pg == nil {
		t.mu.Lock()
		if pg = t.pages[i].Load(); pg == nil {
			pg = new(pidPage)
			t.pages[i].Store(pg)
		}
		t.mu.Unlock()
	}
	pg[pid&(1<<pidPageBits-1)].Store(pp)
}

func (t *pidTable) delete(pid bus.PID) {
	if pid >= pidPages<<pidPageBits {
		t.high.Delete(pid)
		return
	}
	if pg := t.pages[pid>>pidPageBits].Load(); pg != nil {
		pg[pid&(1<<pidPageBits-1)].Store(nil)
	}
}
