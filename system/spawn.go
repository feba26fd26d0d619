package system

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
	"github.com/orbital/orbital/wasm4"
)

// identify gives so the installed identity of m, found by its digest in the registry (one
// indexed lookup): version, publisher and the manifest's requested permissions, so the
// process runs with manifest ∩ policy. A module the registry does not hold (a .wasm run by
// path) runs with what policy grants, as does an installed bare .wasm (its manifest is
// derived and requests nothing of its own). Any other failure (the state unreadable, the
// manifest missing, tampered with or requesting what no policy can express) refuses the
// spawn with the reason: a module never runs with more than its manifest asks for. The
// manifest is returned (nil when not installed).
func (in *Instance) identify(m *kernel.Module, so *kernel.SpawnOptions) (*registry.Manifest, error) {
	name := so.Name
	if name == "" {
		name = m.Name
	}
	rec, man, err := in.reg.ByDigest(identityDigest(m), name)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: refused: its installed identity cannot be read: %w", name, err)
	}
	if err := in.identity(rec, man, so); err != nil {
		return nil, err
	}
	return man, nil
}

// identity sets so's version, publisher and requested permissions from the installed version
// rec with manifest man (a derived manifest requests nothing of its own).
func (in *Instance) identity(rec *registry.Record, man *registry.Manifest, so *kernel.SpawnOptions) error {
	so.Version, so.Publisher = rec.Version, man.Publisher
	if !rec.Derived {
		req, err := policies.ParseRequests(rec.ID()+" module.toml [permissions]", man.RequestsTOML(), policies.DefaultExpand(in.cfg.Home))
		if err != nil {
			return fmt.Errorf("%s: refused: %w", rec.Name, err)
		}
		so.Requests = req
	}
	return nil
}

// prepare points so's output at a capture into the log book, echoed to the instance's Stdout
// and Stderr. The caller binds it (started) once the spawn returned.
func (in *Instance) prepare(m *kernel.Module, so *kernel.SpawnOptions) (*capture, error) {
	return in.prepareTo(m, so, in.cfg.Stdout, in.cfg.Stderr)
}

// prepareTo is prepare with the output echoed to stdout and stderr (a console window).
func (in *Instance) prepareTo(m *kernel.Module, so *kernel.SpawnOptions, stdout, stderr io.Writer) (*capture, error) {
	out, err := in.logs.captureOutput(so, stdout, stderr)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", m.Name, err)
	}
	in.mu.Lock()
	in.outputs[out] = struct{}{}
	in.mu.Unlock()
	return out, nil
}

// bind binds out to p (nil: the spawn failed) and records how p was started: asked are
// the options to start it again with (identity resolved, no output files). Once p has ended
// and its output is read, it leaves the kernel's table and the records: the panel lists
// running processes, and an instance that runs a schedule for months must not grow.
func (in *Instance) bind(out *capture, m *kernel.Module, asked kernel.SpawnOptions, p *kernel.Process, by string, prev *procRecord) {
	if p == nil {
		out.bind(0)
		in.forgetOutput(out)
		return
	}
	out.bind(p.PID())
	rec := &procRecord{module: m, opts: asked, startedBy: by}
	if prev != nil {
		rec.restarts, rec.lastExit = prev.restarts+1, prev.lastExit
	}
	in.mu.Lock()
	in.procs[p.PID()] = rec
	in.mu.Unlock()
	go func() {
		<-p.Done()
		out.wait()
		in.forgetOutput(out)
		in.forget(p.PID())
	}()
}

func (in *Instance) forgetOutput(out *capture) {
	in.mu.Lock()
	delete(in.outputs, out)
	in.mu.Unlock()
}

// waitOutputs waits until every capture has drained, at most for limit: the terminal gets a
// module's last lines before orbital exits.
func (in *Instance) waitOutputs(limit time.Duration) {
	in.mu.Lock()
	cs := make([]*capture, 0, len(in.outputs))
	for c := range in.outputs {
		cs = append(cs, c)
	}
	in.mu.Unlock()
	waitOutputs(cs, limit)
}

// Spawn starts m with so under its installed identity (manifest ∩ policy), its output
// captured into the log book and echoed; by says who started it, for the panel ("user
// (orbital run)"). so.Stdout and so.Stderr must be empty: the instance owns the output.
func (in *Instance) Spawn(m *kernel.Module, so kernel.SpawnOptions, by string) (*kernel.Process, error) {
	return in.spawn(m, so, by, false, nil)
}

func (in *Instance) spawn(m *kernel.Module, so kernel.SpawnOptions, by string, identified bool, prev *procRecord) (*kernel.Process, error) {
	p, _, err := in.spawnTo(m, so, by, identified, prev, in.cfg.Stdout, in.cfg.Stderr)
	return p, err
}

// spawnTo is spawn with the output echoed to stdout and stderr; it also returns the capture,
// whose wait returns once the process's output has all been echoed.
func (in *Instance) spawnTo(m *kernel.Module, so kernel.SpawnOptions, by string, identified bool, prev *procRecord, stdout, stderr io.Writer) (*kernel.Process, *capture, error) {
	if !identified {
		if _, err := in.identify(m, &so); err != nil {
			return nil, nil, err
		}
	}
	asked := so
	asked.Stdin = nil // input is not replayed by a restart
	out, err := in.prepareTo(m, &so, stdout, stderr)
	if err != nil {
		return nil, nil, err
	}
	p, err := in.k.Spawn(m, so)
	in.bind(out, m, asked, p, by, prev)
	return p, out, err
}

// Load finds target (a .wasm or .js path, or a module name: the registry, then the module
// directories) and compiles it through the kernel's cache; a script is bound to the
// JavaScript engine (script.go).
func (in *Instance) Load(target string) (*kernel.Module, error) {
	found, err := in.resolve(target)
	if err != nil {
		return nil, err
	}
	found.Name = moduleNameFrom(found.Path, target)
	return in.loadOpened(found)
}

// RunOptions are the user's options for the modules of `orbital run`.
type RunOptions struct {
	Env   []string // KEY=VALUE, for every target
	Dirs  []kernel.Preopen
	Args  []string  // for the last target
	Stdin io.Reader // the last target's standard input (nil: empty)
	// Input is scripted gamepad and mouse input for every WASM-4 cart among the targets.
	Input *wasm4.Script
}

// Run spawns mods in order (loaded by Load: a bad target starts nothing) with a UI grant, as
// `orbital run` does. When one fails to start, the ones already started are killed.
func (in *Instance) Run(mods []*kernel.Module, o RunOptions) ([]*kernel.Process, error) {
	var procs []*kernel.Process
	for i, m := range mods {
		so := kernel.SpawnOptions{Env: o.Env, Dirs: o.Dirs, UI: true, Cart: kernel.CartOptions{Input: o.Input}}
		if i == len(mods)-1 {
			so.Args, so.Stdin = o.Args, o.Stdin
		}
		p, err := in.Spawn(m, so, "user (orbital run)")
		if err != nil {
			for _, q := range procs {
				in.k.Kill(q.PID(), true)
			}
			return nil, err
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// Restart stops pid (a quit request, then forced after the kernel's grace period) and starts
// its module again with the options it was started with and output of its own: the panel's
// Restart, for a module however it was started (bar, run, trigger, spawn). The new process
// has a new pid. A child of proc_spawn restarts under the same parent, whose namespace bounds
// it; once the parent has ended it cannot.
func (in *Instance) Restart(ctx context.Context, pid bus.PID) (*kernel.Process, error) {
	p := in.k.Process(pid)
	if p == nil {
		return nil, fmt.Errorf("%w: %d", kernel.ErrNoProcess, pid)
	}
	in.mu.Lock()
	rec := in.procs[pid]
	in.mu.Unlock()
	m, asked := p.Spawned()
	by := fmt.Sprintf("restart of pid %d", pid)
	if rec != nil {
		asked = rec.opts
	} else {
		asked.Stdout, asked.Stderr = "", "" // not ours to reuse
	}
	if !p.Info().State.Done() {
		in.k.Kill(pid, false)
		if _, err := p.Wait(ctx); err != nil { // p, not the pid: an ended process leaves the table
			return nil, fmt.Errorf("restart %s (pid %d): %w", p.Name(), pid, err)
		}
	}
	if rec != nil {
		in.mu.Lock()
		rec.lastExit = p.Info().Reason
		in.mu.Unlock()
	}
	np, err := in.spawn(m, asked, by, rec != nil, rec)
	if err != nil {
		return nil, fmt.Errorf("restart %s (pid %d): %w", p.Name(), pid, err)
	}
	return np, nil
}

// forget drops an ended process from the kernel's table and the instance's records.
func (in *Instance) forget(pid bus.PID) {
	in.k.Forget(pid)
	in.mu.Lock()
	delete(in.procs, pid)
	in.mu.Unlock()
}
