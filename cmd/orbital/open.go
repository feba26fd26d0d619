package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
	"github.com/orbital/orbital/shell"
)

// What the shell's URL bar accepts, and how it becomes a running process. The bar's text goes
// through openSources in order; the first source that claims it provides the module's bytes
// (or file), then the kernel loads and spawns it. The registry adds orbital:// names and
// search words with addOpenSource, ahead of plain module names.

// openedModule is what a source found: a file to load, or bytes already in memory.
type openedModule struct {
	Name string // process name
	Path string // file to load, or a label for Wasm in messages
	Wasm []byte // nil: load Path
}

// openSource is one way of turning the bar's text into a module.
type openSource struct {
	Name string
	// Open returns ok=false when text is not for this source (the next one is tried). An error
	// means the source claimed text and failed; it is shown to the user as is, so it must say
	// what failed and why in one line.
	Open func(ctx context.Context, text string, progress func(done, total int64)) (m openedModule, ok bool, err error)
}

// extraOpenSources run after URLs and paths and before module names (the registry's
// orbital:// names and search words plug in here).
var extraOpenSources []openSource

func addOpenSource(s openSource) { extraOpenSources = append(extraOpenSources, s) }

// homeOpenSources build bar sources that need the Orbital home (the registry); they run
// where extraOpenSources do.
var homeOpenSources []func(home string) openSource

func addHomeOpenSource(f func(home string) openSource) { homeOpenSources = append(homeOpenSources, f) }

// defaultMaxDownload caps an http(s) download opened from the bar.
const defaultMaxDownload = 64 << 20

// openSources is the lookup order of the bar: http(s) URLs, file:// URLs, paths, registered
// sources, then module names (resolve.go's order).
func openSources(home string, maxBytes int64) []openSource {
	srcs := []openSource{adminSource(home), httpSource(home, maxBytes), fileURLSource(), pathSource()}
	srcs = append(srcs, extraOpenSources...)
	for _, f := range homeOpenSources {
		srcs = append(srcs, f(home))
	}
	return append(srcs, nameSource(home))
}

// httpSource opens http(s) URLs. A package (.tar.gz, made by `orbital pack`) is installed
// through the registry, as `orbital install URL` does: fetched, its signature and digests
// checked, installed atomically, then run with its manifest (so policy and the permission
// prompt see what it requests). A bare .wasm is fetched and run as it is: it carries no
// manifest or signature that installing would check, and its derived version (0.0.0) would
// collide with an installed module of the same name.
func httpSource(home string, maxBytes int64) openSource {
	return openSource{Name: "http(s) URL", Open: func(ctx context.Context, text string, progress func(done, total int64)) (openedModule, bool, error) {
		u, err := url.Parse(text)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return openedModule{}, false, nil
		}
		if u.Host == "" {
			return openedModule{}, true, fmt.Errorf("%s: no host in the URL", text)
		}
		if p := strings.ToLower(u.Path); home != "" && (strings.HasSuffix(p, ".tar.gz") || strings.HasSuffix(p, ".tgz")) {
			reg, err := registry.Open(home)
			if err != nil {
				return openedModule{}, true, err
			}
			res, err := reg.Resolve(ctx, text, registry.InstallOptions{Fetch: registry.FetchOptions{MaxBytes: maxBytes, Progress: progress}})
			if err != nil {
				return openedModule{}, true, fetchMessage(text, err)
			}
			return openedModule{Name: res.Manifest.Name, Path: res.Path, Wasm: res.WASM}, true, nil
		}
		wasm, err := registry.Fetch(ctx, text, registry.FetchOptions{MaxBytes: maxBytes, Progress: progress})
		if err != nil {
			return openedModule{}, true, fetchMessage(text, err)
		}
		return openedModule{Name: moduleNameFrom(u.Path, u.Host), Path: text, Wasm: wasm}, true, nil
	}}
}

// fetchMessage shortens a download error for the one-line error bar: Go's net errors repeat
// the URL ("Get \"URL\": dial tcp ...") after the registry already named it. The original
// error stays reachable (errors.Is, errors.As).
func fetchMessage(rawURL string, err error) error {
	msg := strings.ReplaceAll(err.Error(), `Get "`+rawURL+`": `, "")
	msg = strings.ReplaceAll(msg, "dial tcp ", "")
	return &shortError{msg: msg, err: err}
}

type shortError struct {
	msg string
	err error
}

func (e *shortError) Error() string { return e.msg }
func (e *shortError) Unwrap() error { return e.err }

func fileURLSource() openSource {
	return openSource{Name: "file URL", Open: func(_ context.Context, text string, _ func(int64, int64)) (openedModule, bool, error) {
		if !strings.HasPrefix(text, "file:") {
			return openedModule{}, false, nil
		}
		u, err := url.Parse(text)
		if err != nil {
			return openedModule{}, true, fmt.Errorf("%s: not a valid file URL: %v", text, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return openedModule{}, true, fmt.Errorf("%s: file URLs must name a local file (file:///path/to/module.wasm)", text)
		}
		p := u.Path
		if _, err := os.Stat(p); err != nil {
			return openedModule{}, true, fmt.Errorf("%s: no such file", p)
		}
		return openedModule{Name: moduleNameFrom(p, ""), Path: p}, true, nil
	}}
}

func pathSource() openSource {
	return openSource{Name: "path", Open: func(_ context.Context, text string, _ func(int64, int64)) (openedModule, bool, error) {
		if !isPath(text) && !strings.HasPrefix(text, "~") {
			return openedModule{}, false, nil
		}
		p := text
		if rest, ok := strings.CutPrefix(p, "~/"); ok {
			if hd, err := os.UserHomeDir(); err == nil {
				p = filepath.Join(hd, rest)
			}
		}
		st, err := os.Stat(p)
		switch {
		case err != nil:
			return openedModule{}, true, fmt.Errorf("%s: no such file", p)
		case st.IsDir():
			return openedModule{}, true, fmt.Errorf("%s: is a directory, not a .wasm file", p)
		}
		return openedModule{Name: moduleNameFrom(p, ""), Path: p}, true, nil
	}}
}

func nameSource(home string) openSource {
	return openSource{Name: "module name", Open: func(_ context.Context, text string, _ func(int64, int64)) (openedModule, bool, error) {
		if strings.ContainsAny(text, " \t:") {
			return openedModule{}, true, fmt.Errorf("%q: not a module name, a path or an http(s):// URL", text)
		}
		p, err := resolveTarget(text, moduleSources(home))
		if err != nil {
			return openedModule{}, true, err
		}
		return openedModule{Name: text, Path: p}, true, nil
	}}
}

// moduleNameFrom names a process after the file it came from ("clock.wasm" -> "clock").
func moduleNameFrom(p, fallback string) string {
	base := strings.TrimSuffix(path.Base(filepath.ToSlash(p)), ".wasm")
	if base == "" || base == "." || base == "/" {
		return fallback
	}
	return base
}

// shellHost is the shell's view of Orbital: it opens what the bar says on the kernel, routes
// input events to processes, and stops them.
type shellHost struct {
	k       *kernel.Kernel
	home    string // for the registry's manifest of an opened module (policy: manifest ∩ policy)
	display *sidDisplay
	sources []openSource
	// startWait is how long Open waits for a new process to open a window before calling it
	// started anyway (a module without windows); a crash before then is Open's error.
	startWait time.Duration
	// onExit, if set, hears about processes opened from the bar that crash after starting.
	onExit func(info kernel.Info)
	// ctl, if set, records who started each process and keeps its stdout for the admin panel.
	ctl *kernelControl
	// prompt, if set, asks the user about permissions a module requests beyond policy
	// (the shell's permission prompt); notice shows a one-line confirmation in the bar.
	prompt func(ctx context.Context, p shell.PermissionPrompt) (shell.Choice, error)
	notice func(msg string)
	// denials are the prompts answered Deny, kept in the home so a module version is asked
	// once (policies.Denials).
	denials *policies.Denials
	// completer, if set, lists what the bar could open as the user types (complete.go).
	completer *completer
}

// Complete implements shell.Completer.
func (h *shellHost) Complete(ctx context.Context, text string) ([]shell.Completion, error) {
	if h.completer == nil {
		return nil, nil
	}
	return h.completer.Complete(ctx, text)
}

// Open resolves text through the sources and spawns the module with a UI grant. It then
// watches the process for startWait: a trap on start is Open's error, so the bar shows it.
func (h *shellHost) Open(ctx context.Context, text string, progress func(done, total int64)) (uint32, error) {
	var (
		m   openedModule
		err error
		ok  bool
	)
	for _, s := range h.sources {
		if m, ok, err = s.Open(ctx, text, progress); ok || err != nil {
			break
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 0, context.Canceled
		}
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%q: not a module name, a path or an http(s):// URL", text)
	}
	var mod *kernel.Module
	if m.Wasm != nil {
		mod, err = h.k.Load(m.Name, m.Path, m.Wasm)
	} else {
		mod, err = h.k.LoadFile(m.Path)
	}
	if err != nil {
		return 0, err
	}
	if ctx.Err() != nil {
		return 0, context.Canceled
	}
	so := kernel.SpawnOptions{Name: m.Name, UI: true}
	if h.home != "" {
		so.Version, so.Publisher, so.Requests, _ = installedIdentity(h.home, mod.Digest) // manifest ∩ policy
	}
	note, denied, err := h.askPermissions(ctx, &so, mod.Digest)
	if err != nil {
		return 0, err
	}
	if note != "" && h.notice != nil {
		h.notice(note)
	}
	var out *capture
	if h.ctl != nil {
		if out, err = h.ctl.logs.captureOutput(&so, os.Stdout, os.Stderr); err != nil {
			return 0, fmt.Errorf("start %s: %w", m.Name, err)
		}
	}
	p, err := h.k.Spawn(mod, so)
	if out != nil {
		if p != nil {
			out.bind(p.PID())
			h.ctl.noteStart(p.PID(), "user (URL bar)")
		} else {
			out.bind(0)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", m.Name, err)
	}
	// Started means: it opened a window, or it is still running after startWait (a module
	// without windows). Ending first is a failure to start, shown in the bar.
	deadline := time.NewTimer(h.startWait)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-p.Done():
			in := p.Info()
			switch {
			case in.State == kernel.Crashed:
				return 0, deniedStart(fmt.Errorf("%s crashed on start: %s", m.Name, in.Reason), denied)
			case in.ExitCode != 0:
				return 0, deniedStart(fmt.Errorf("%s exited on start with %s", m.Name, in.Reason), denied)
			case h.display.created(p.PID()) == 0:
				return 0, deniedStart(fmt.Errorf("%s ran and exited without opening a window (its output went to the terminal)", m.Name), denied)
			}
			return uint32(p.PID()), nil
		case <-tick.C:
			if h.display.created(p.PID()) > 0 {
				break wait
			}
		case <-deadline.C:
			break wait
		case <-ctx.Done():
			h.k.Kill(p.PID(), true) // the user cancelled the open: do not leave it running
			return 0, context.Canceled
		}
	}
	if h.onExit != nil {
		go func() {
			<-p.Done()
			h.onExit(p.Info())
		}()
	}
	return uint32(p.PID()), nil
}

// PostEvent delivers ev to pid, naming the surface by the id the module knows it by.
func (h *shellHost) PostEvent(pid uint32, ev shell.Event) error {
	sid, ok := h.display.sid(ev.Surface)
	if !ok {
		return nil // the module closed that surface (or is exiting): the event has no reader
	}
	return h.k.PostEvent(bus.PID(pid), kernel.Event{
		Type: uint32(ev.Type), Surface: uint32(sid), X: ev.X, Y: ev.Y, Code: ev.Code,
		Modifiers: ev.Mods, DX: ev.DX, DY: ev.DY,
	})
}

// Kill asks pid to quit; the kernel forces it after its grace period.
func (h *shellHost) Kill(pid uint32) error {
	err := h.k.Kill(bus.PID(pid), false)
	if errors.Is(err, kernel.ErrNoProcess) {
		return nil // it ended meanwhile
	}
	return err
}

// sidDisplay wraps the scene display and remembers, for every compositor surface, the id its
// module knows it by. The kernel numbers a process's surfaces 1, 2, ... in creation order, so
// counting successful creations per process gives the same numbers.
type sidDisplay struct {
	inner kernel.Display
	mu    sync.Mutex
	count map[bus.PID]int32
	ids   map[*compositor.Surface]int32
}

func newSIDDisplay(inner kernel.Display) *sidDisplay {
	return &sidDisplay{inner: inner, count: map[bus.PID]int32{}, ids: map[*compositor.Surface]int32{}}
}

func (d *sidDisplay) CreateSurface(owner kernel.SurfaceOwner, title string, w, h int) (kernel.Surface, error) {
	s, err := d.inner.CreateSurface(owner, title, w, h)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.count[owner.PID]++
	cs, ok := s.(*compositor.Surface)
	if !ok {
		return s, nil
	}
	// The inner display created it hidden (sceneDisplay.hidden): the shell shows it once it
	// has framed and placed it. Hiding it here instead raced with that: the shell could adopt
	// and show it first, and this hide then left the window's content hidden for good.
	d.ids[cs] = d.count[owner.PID]
	return sidSurface{Surface: cs, d: d}, nil
}

func (d *sidDisplay) sid(s *compositor.Surface) (int32, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.ids[s]
	return id, ok
}

func (d *sidDisplay) created(pid bus.PID) int32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.count[pid]
}

// sidSurface forgets the id when the module closes its surface.
type sidSurface struct {
	*compositor.Surface
	d *sidDisplay
}

func (s sidSurface) Close() {
	s.d.mu.Lock()
	delete(s.d.ids, s.Surface)
	s.d.mu.Unlock()
	s.Surface.Close()
}

var (
	_ shell.Host     = (*shellHost)(nil)
	_ kernel.Display = (*sidDisplay)(nil)
	_ kernel.Surface = sidSurface{}
)
