package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
)

// launcher is the kernel's Launcher for proc_spawn: it finds a module by name the way
// `orbital run NAME` does (the registry, then the module directories), gives it its
// installed identity (manifest requests, publisher, version) so policy applies to it as to
// any module, captures its output into the log book, and records who started it for the
// admin panel. A guest may name modules only, never paths: a path would let it run any file
// the Orbital process can read.
//
// The kernel calls Launch and then Started for one child at a time per parent (both on the
// parent's thread), so the capture made in Launch waits for Started under the parent's pid.
type launcher struct {
	home           string
	srcs           []moduleSource
	logs           *logBook
	stdout, stderr io.Writer

	mu      sync.Mutex
	k       *kernel.Kernel // set once the kernel exists (it needs the launcher first)
	ctl     *kernelControl // set once the admin bookkeeping exists
	pending map[bus.PID]*capture
}

func newLauncher(home string, logs *logBook, stdout, stderr io.Writer) *launcher {
	return &launcher{home: home, srcs: moduleSources(home), logs: logs, stdout: stdout, stderr: stderr,
		pending: map[bus.PID]*capture{}}
}

// bind hands the launcher the kernel and the admin bookkeeping once they exist.
func (l *launcher) bind(k *kernel.Kernel, ctl *kernelControl) {
	l.mu.Lock()
	l.k, l.ctl = k, ctl
	l.mu.Unlock()
}

// Launch resolves name, loads the module (through the compile cache) and prepares the capture
// of its output.
func (l *launcher) Launch(parent bus.PID, name string) (*kernel.Module, kernel.SpawnOptions, error) {
	l.mu.Lock()
	k := l.k
	l.mu.Unlock()
	if k == nil {
		return nil, kernel.SpawnOptions{}, fmt.Errorf("%s: the kernel is still starting", name)
	}
	if isPath(name) {
		return nil, kernel.SpawnOptions{}, fmt.Errorf("%w: %q is a path; modules start other modules by name", kernel.ErrNoModule, name)
	}
	path, err := resolveTarget(name, l.srcs)
	if err != nil {
		return nil, kernel.SpawnOptions{}, fmt.Errorf("%w: %v", kernel.ErrNoModule, err)
	}
	m, err := k.LoadFile(path)
	if err != nil {
		return nil, kernel.SpawnOptions{}, err
	}
	so := kernel.SpawnOptions{Name: name, UI: true}
	if l.home != "" {
		so.Version, so.Publisher, so.Requests, _ = installedIdentity(l.home, m.Digest) // manifest ∩ policy
	}
	if l.logs != nil {
		out, err := l.logs.captureOutput(&so, l.stdout, l.stderr)
		if err != nil {
			return nil, kernel.SpawnOptions{}, fmt.Errorf("start %s: %w", name, err)
		}
		l.mu.Lock()
		l.pending[parent] = out
		l.mu.Unlock()
	}
	return m, so, nil
}

// Started binds the child's output capture and notes who started it.
func (l *launcher) Started(parent bus.PID, p *kernel.Process, err error) {
	l.mu.Lock()
	out, ctl, k := l.pending[parent], l.ctl, l.k
	delete(l.pending, parent)
	l.mu.Unlock()
	if out != nil {
		if p != nil {
			out.bind(p.PID())
		} else {
			out.bind(0)
		}
	}
	if p != nil && ctl != nil {
		by := fmt.Sprintf("pid %d", parent)
		if in, e := k.Info(parent); e == nil {
			by = fmt.Sprintf("%s (pid %d)", in.Name, parent)
		}
		ctl.noteStart(p.PID(), by)
	}
}
