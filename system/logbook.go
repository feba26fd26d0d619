package system

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
)

// logBook keeps the newest lines of every process's log and WASI stdout/stderr for the panel's
// log view, bounded per process.
type logBook struct {
	mu    sync.Mutex
	rings map[bus.PID]*logRing
	order []bus.PID // oldest first, to drop rings of long-gone processes
}

const (
	logLinesPerProc = 1000
	logProcs        = 256
)

// logRing is one process's newest lines. It grows as lines come, up to logLinesPerProc, and
// then wraps: a process that logs one line costs one line, not a thousand (72 KB each for a
// thousand idle modules, when the ring was allocated whole on the first line).
type logRing struct {
	lines []admin.LogLine
	next  int // once full: where the next line goes, the oldest line
}

func newLogBook() *logBook { return &logBook{rings: map[bus.PID]*logRing{}} }

func (b *logBook) add(pid bus.PID, ln admin.LogLine) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.rings[pid]
	if r == nil {
		r = &logRing{}
		b.rings[pid] = r
		b.order = append(b.order, pid)
		if len(b.order) > logProcs {
			delete(b.rings, b.order[0])
			b.order = b.order[1:]
		}
	}
	if len(r.lines) < logLinesPerProc {
		r.lines = append(r.lines, ln)
		return
	}
	r.lines[r.next] = ln
	r.next = (r.next + 1) % logLinesPerProc
}

// lines returns up to max newest lines of pid, oldest first; ok is false if pid never logged.
func (b *logBook) lines(pid bus.PID, max int) ([]admin.LogLine, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.rings[pid]
	if r == nil {
		return nil, false
	}
	all := append(append([]admin.LogLine(nil), r.lines[r.next:]...), r.lines[:r.next]...)
	if max > 0 && len(all) > max {
		all = all[len(all)-max:]
	}
	return all, true
}

var levelNames = [...]string{"debug", "info", "warn", "error"}

// hook returns a kernel.Config.Log function that keeps each line and echoes it to w as the
// kernel's default does.
func (b *logBook) hook(w io.Writer) func(pid bus.PID, name string, level int, line string) {
	var mu sync.Mutex
	return func(pid bus.PID, name string, level int, line string) {
		lv := "info"
		if level >= 0 && level < len(levelNames) {
			lv = levelNames[level]
		}
		b.add(pid, admin.LogLine{Time: time.Now(), Stream: "log", Level: lv, Text: line})
		if w != nil {
			mu.Lock()
			fmt.Fprintf(w, "%s[%d]: %s\n", name, pid, line)
			mu.Unlock()
		}
	}
}
