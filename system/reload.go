package system

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/registry"
)

// ErrNotRunning is Reload's error when no process of the module is running.
var ErrNotRunning = errors.New("not running")

// ReloadResult is what a reload did to one process.
type ReloadResult struct {
	PID    bus.PID
	Err    error               // the reload was refused before the old code stopped (kernel.ErrReloadRefused), or the wait ended
	Result kernel.ReloadResult // when Err is nil
}

// String is the line `orbital reload` prints for the process.
func (r ReloadResult) String() string {
	if r.Err != nil {
		return r.Err.Error()
	}
	return r.Result.String()
}

// Outcome is "reloaded", "rolled back", "ended" or "refused".
func (r ReloadResult) Outcome() string {
	if r.Err != nil {
		return "refused"
	}
	return r.Result.Outcome.String()
}

// Reload moves every running process of module name to version (empty: the newest installed)
// in place: each keeps its pid, inbox, subscriptions, regions and windows (kernel.Reload,
// docs/design/reload.md). The new version is found, compiled and identified once; the
// processes are reloaded side by side, and Reload returns once each reload is final (grace
// 0: the kernel's 5 s), one result per process, by pid. A reload the kernel refused is a
// result; the error is for what stops them all: no process of name runs (ErrNotRunning), the
// version is not installed, the module does not load or its identity cannot be read.
func (in *Instance) Reload(ctx context.Context, name, version string, grace time.Duration) ([]ReloadResult, error) {
	pids := in.running(name)
	if len(pids) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNotRunning)
	}
	m, so, err := in.loadVersion(name, version)
	if err != nil {
		return nil, err
	}
	ro := kernel.ReloadOptions{Version: so.Version, Publisher: so.Publisher, Requests: so.Requests, Grace: grace}
	out := make([]ReloadResult, len(pids))
	var wg sync.WaitGroup
	for i, pid := range pids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = in.reloadOne(ctx, pid, m, so, ro)
		}()
	}
	wg.Wait()
	return out, nil
}

// running lists the pids of the running processes of module name (carts are not reloaded).
func (in *Instance) running(name string) []bus.PID {
	var pids []bus.PID
	for _, info := range in.k.List() { // sorted by pid
		if info.Name == name && !info.State.Done() && info.Kind != kernel.KindCart {
			pids = append(pids, info.PID)
		}
	}
	return pids
}

// loadVersion finds name at version (empty: the newest installed) in the registry, compiles it
// through the kernel's cache and takes its identity from that installed version.
func (in *Instance) loadVersion(name, version string) (*kernel.Module, kernel.SpawnOptions, error) {
	rng := version
	if rng == "" {
		rng = "*"
	}
	rec, err := in.reg.Best(name, rng)
	if errors.Is(err, registry.ErrNotFound) {
		what := name + " " + version
		if version == "" {
			what = name
		}
		return nil, kernel.SpawnOptions{}, fmt.Errorf("%s is not installed (orbital ls %s lists the installed versions)", what, name)
	}
	if err != nil {
		return nil, kernel.SpawnOptions{}, err
	}
	res, err := in.reg.Load(rec)
	if err != nil {
		return nil, kernel.SpawnOptions{}, err
	}
	m, err := in.loadOpened(opened{Name: name, Path: res.Path, Wasm: res.WASM, Script: res.Record.Script, Digest: res.Digest}) // a script binds to the engine
	if err != nil {
		return nil, kernel.SpawnOptions{}, err
	}
	so := kernel.SpawnOptions{Name: name}
	if err := in.identity(res.Record, res.Manifest, &so); err != nil {
		return nil, kernel.SpawnOptions{}, err
	}
	return m, so, nil
}

// reloadOne reloads pid to m and, once the new code is final, records it as what a Restart of
// pid starts.
func (in *Instance) reloadOne(ctx context.Context, pid bus.PID, m *kernel.Module, so kernel.SpawnOptions, ro kernel.ReloadOptions) ReloadResult {
	res, err := in.k.Reload(ctx, pid, m, ro)
	if err != nil {
		return ReloadResult{PID: pid, Err: err}
	}
	if res.Outcome == kernel.ReloadCommitted {
		in.mu.Lock()
		if rec := in.procs[pid]; rec != nil { // a copy: a Restart may be reading the old one
			nr := *rec
			nr.module = m
			nr.opts.Version, nr.opts.Publisher, nr.opts.Requests = so.Version, so.Publisher, so.Requests
			in.procs[pid] = &nr
		}
		in.mu.Unlock()
	}
	return ReloadResult{PID: pid, Result: res}
}

// Reload is the panel's, the control socket's and sys.reload's reload (admin.Reloader).
func (c *controller) Reload(ctx context.Context, req admin.ReloadRequest) ([]admin.ReloadResult, error) {
	res, err := c.in.Reload(ctx, req.Name, req.Version, req.Grace)
	if errors.Is(err, ErrNotRunning) {
		return nil, fmt.Errorf("%w: %s is not running", admin.ErrModuleNotRunning, req.Name)
	}
	if err != nil {
		return nil, err
	}
	out := make([]admin.ReloadResult, len(res))
	for i, r := range res {
		out[i] = admin.ReloadResult{PID: uint32(r.PID), Outcome: r.Outcome(), Text: r.String()}
	}
	return out, nil
}

var _ admin.Reloader = (*controller)(nil)
