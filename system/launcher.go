package system

import (
	"fmt"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
)

// launcher is the kernel's Launcher for proc_spawn: it finds a module by name the way
// `orbital run NAME` does (the registry, then the module directories), gives it its installed
// identity so policy applies to it as to any module (a failed lookup refuses the spawn),
// captures its output into the log book and records who started it. A guest may name modules
// only, never paths: a path would let it run any file the Orbital process can read.
//
// The kernel calls Launch and then Started for one child at a time per parent (both on the
// parent's thread), so the capture made in Launch waits in Instance.pending under the
// parent's pid.
type launcher struct{ in *Instance }

// Launch resolves name, loads the module (through the compile cache), resolves its identity
// and prepares the capture of its output.
func (l launcher) Launch(parent bus.PID, name string) (*kernel.Module, kernel.SpawnOptions, error) {
	in := l.in
	if isPath(name) {
		return nil, kernel.SpawnOptions{}, fmt.Errorf("%w: %q is a path; modules start other modules by name", kernel.ErrNoModule, name)
	}
	found, err := in.resolve(name)
	if err != nil {
		return nil, kernel.SpawnOptions{}, fmt.Errorf("%w: %v", kernel.ErrNoModule, err)
	}
	found.Name = name
	m, err := in.loadOpened(found)
	if err != nil {
		return nil, kernel.SpawnOptions{}, err
	}
	so := kernel.SpawnOptions{Name: name, UI: true}
	if _, err := in.identify(m, &so); err != nil {
		return nil, kernel.SpawnOptions{}, err
	}
	out, err := in.prepare(m, &so)
	if err != nil {
		return nil, kernel.SpawnOptions{}, err
	}
	in.mu.Lock()
	in.pending[parent] = out
	in.mu.Unlock()
	return m, so, nil
}

// Started binds the child's output capture and records who started it.
func (l launcher) Started(parent bus.PID, p *kernel.Process, err error) {
	in := l.in
	in.mu.Lock()
	out, ok := in.pending[parent]
	delete(in.pending, parent)
	in.mu.Unlock()
	if !ok {
		return
	}
	if p == nil {
		in.bind(out, nil, kernel.SpawnOptions{}, nil, "", nil)
		return
	}
	m, asked := p.Spawned() // with the Parent and Args the kernel set
	asked.Stdout, asked.Stderr = "", ""
	by := fmt.Sprintf("pid %d", parent)
	if info, e := in.k.Info(parent); e == nil {
		by = fmt.Sprintf("%s (pid %d)", info.Name, parent)
	}
	in.bind(out, m, asked, p, by, nil)
}

var _ kernel.Launcher = launcher{}
