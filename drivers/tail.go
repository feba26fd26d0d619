package drivers

import (
	"bufio"
	"os"
	"strings"
	"sync"
)

// tail keeps the last lines a driver wrote to stdout and stderr, for crash reasons.
type tail struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	t.lines = append(t.lines, s)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// String is the last few lines joined with " | " (the last 3, which name a panic's cause).
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.lines
	for i, s := range l {
		if strings.HasPrefix(s, "panic: ") || strings.HasPrefix(s, "fatal error: ") {
			// a Go crash: its message and the first frame name the cause
			var out []string
			for _, s := range l[i:] {
				if strings.TrimSpace(s) != "" && len(out) < 3 {
					out = append(out, strings.TrimSpace(s))
				}
			}
			return strings.Join(out, " | ")
		}
	}
	if len(l) > 3 {
		l = l[len(l)-3:]
	}
	return strings.Join(l, " | ")
}

// readOutput copies the driver's stdout and stderr to the log until every writer is gone.
func (in *instance) readOutput(r *os.File) {
	defer in.wg.Done()
	defer close(in.outDone)
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		in.out.add(line)
		in.m.logf(in.spec.Name, 2, "%s", line)
	}
}
