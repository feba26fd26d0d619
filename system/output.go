package system

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
)

// capture routes a module's WASI stdout and stderr through pipes: the bytes go on to the
// terminal (or a console window) unchanged, and each line lands in the process's log ring for
// the admin panel's log view.
//
// wasmtime opens the stdout and stderr files by path when the process is spawned; the path
// /proc/self/fd/N of a pipe's write end makes it write into the pipe. Our copy of the write end
// is closed right after the spawn, so the reader sees EOF when the process's store is dropped.
type capture struct {
	book  *logBook
	pipes []*capturePipe
	bound chan struct{} // closed by bind, after pid is set
	pid   bus.PID
	wg    sync.WaitGroup // the readers
}

type capturePipe struct {
	stream string
	r, w   *os.File
	echo   io.Writer
}

// captureOutput points o's stdout and stderr at pipes read into b (and echoed to out and err).
// Call bind with the spawned pid (0 if the spawn failed) right after kernel.Spawn returns.
func (b *logBook) captureOutput(o *kernel.SpawnOptions, out, errOut io.Writer) (*capture, error) {
	c := &capture{book: b, bound: make(chan struct{})}
	for _, s := range []struct {
		name string
		dst  *string
		echo io.Writer
	}{{"stdout", &o.Stdout, out}, {"stderr", &o.Stderr, errOut}} {
		if *s.dst != "" {
			continue // the caller chose a file
		}
		r, w, err := os.Pipe()
		if err != nil {
			c.abort()
			return nil, fmt.Errorf("capture %s: %w", s.name, err)
		}
		c.pipes = append(c.pipes, &capturePipe{stream: s.name, r: r, w: w, echo: s.echo})
		*s.dst = fmt.Sprintf("/proc/self/fd/%d", w.Fd())
	}
	for _, p := range c.pipes {
		c.wg.Add(1)
		go c.read(p)
	}
	return c, nil
}

// bind closes our write ends (the process holds its own now) and names the pid lines go to.
func (c *capture) bind(pid bus.PID) {
	for _, p := range c.pipes {
		p.w.Close()
	}
	c.pid = pid
	close(c.bound)
}

// wait returns once the process's output has been read to the end (the process has ended).
func (c *capture) wait() { c.wg.Wait() }

func (c *capture) abort() {
	for _, p := range c.pipes {
		p.w.Close()
	}
}

// maxLogLine bounds one line of the log book; a longer one is cut into pieces of this size.
const maxLogLine = 64 << 10

// read copies what the process writes to the echo as it arrives, byte for byte (a program's
// output is passed through unchanged: no newline added, no line held back), and adds it to the
// log book a line at a time.
func (c *capture) read(p *capturePipe) {
	defer c.wg.Done()
	defer p.r.Close()
	var (
		pid   bus.PID
		bound bool
		part  []byte // the line being written
	)
	emit := func(text []byte) {
		// The echo stays byte-exact; the book's line is text for `orbital logs` and the panel,
		// so its control characters are shown, never interpreted (kernel/logtext.go).
		ln := admin.LogLine{Time: time.Now(), Stream: p.stream, Text: kernel.EscapeLogText(string(text))}
		if !bound {
			// A line written while _start began: the pid is known once Spawn returned, at
			// once. Waiting here (not keeping the line until the next one) puts it in the book
			// even when the module then writes nothing more.
			<-c.bound
			bound, pid = true, c.pid
		}
		if pid != 0 {
			c.book.add(pid, ln)
		}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := p.r.Read(buf)
		if n > 0 {
			if p.echo != nil {
				p.echo.Write(buf[:n])
			}
			data := buf[:n]
			for len(data) > 0 {
				i := bytes.IndexByte(data, '\n')
				if i < 0 {
					part = append(part, data...)
					if len(part) >= maxLogLine {
						emit(part)
						part = part[:0]
					}
					break
				}
				part = append(part, data[:i]...)
				emit(part)
				part, data = part[:0], data[i+1:]
			}
		}
		if err != nil {
			break
		}
	}
	if len(part) > 0 {
		emit(part)
	}
}

// waitOutputs waits until every capture has drained, at most for limit: the terminal gets a
// module's last lines before orbital exits.
func waitOutputs(cs []*capture, limit time.Duration) {
	done := make(chan struct{})
	go func() {
		for _, c := range cs {
			c.wait()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
	}
}
