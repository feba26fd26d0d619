package system

import (
	"context"
	"fmt"
	"time"

	"github.com/orbital/orbital/kernel"
)

// OpenOptions tune Open.
type OpenOptions struct {
	Progress func(done, total int64) // download progress: bytes done, total (-1 unknown)
	// WaitStart is how long Open waits for the new process to open a window before calling
	// it started anyway (a module without windows); ending first is Open's error. Default 10 s.
	WaitStart time.Duration
	StartedBy string // for the panel; default "user (URL bar)"
	// OnExit, if set, hears how a process that started ended (after Config.Alert heard of a
	// crash).
	OnExit func(kernel.Info)
}

// Open resolves text (a module name, a path, a file:// or http(s):// URL, orbital://NAME or
// orbital://admin) and starts the module with a UI grant under its installed identity, after
// asking the user about what its manifest requests beyond policy (Config.Prompt). It
// returns once the process opened a window or ran for WaitStart: a trap or exit on start is
// Open's error, in one line for the bar. A command that cannot open a window gets a console
// window (console.go) and returns at once. Cancelling ctx cancels the download, or kills the
// process still starting.
func (in *Instance) Open(ctx context.Context, text string, o OpenOptions) (*kernel.Process, error) {
	m, err := in.find(ctx, text, o.Progress)
	if err != nil {
		return nil, err
	}
	mod, err := in.loadOpened(m)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, context.Canceled
	}
	so := kernel.SpawnOptions{Name: m.Name, UI: true}
	if _, err := in.identify(mod, &so); err != nil {
		return nil, err
	}
	denied, err := in.askAtOpen(ctx, &so, identityDigest(mod)) // ask.go
	if err != nil {
		return nil, err
	}
	if o.StartedBy == "" {
		o.StartedBy = "user (URL bar)"
	}
	o.OnExit = in.reportCrash(o.OnExit)
	if needsConsole(mod) {
		return in.openConsole(mod, so, m.Name, o) // console.go: its window is there at once
	}
	p, err := in.spawn(mod, so, o.StartedBy, true, nil)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", m.Name, err)
	}
	if err := in.waitStart(ctx, p, m.Name, o.WaitStart); err != nil {
		return nil, deniedStart(err, denied)
	}
	go func() {
		<-p.Done()
		o.OnExit(p.Info())
	}()
	return p, nil
}

// reportCrash is onExit after telling the user (Config.Alert) that a process opened from the
// bar crashed after it started (a crash on start is Open's error).
func (in *Instance) reportCrash(onExit func(kernel.Info)) func(kernel.Info) {
	return func(info kernel.Info) {
		if info.State == kernel.Crashed && in.cfg.Alert != nil {
			in.cfg.Alert(fmt.Sprintf("%s (pid %d) crashed: %s", info.Name, info.PID, info.Reason))
		}
		if onExit != nil {
			onExit(info)
		}
	}
}

// waitStart returns nil once p opened a window or has run for wait; an end before that is the
// error.
func (in *Instance) waitStart(ctx context.Context, p *kernel.Process, name string, wait time.Duration) error {
	if wait <= 0 {
		wait = 10 * time.Second
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.Done():
			info := p.Info()
			switch {
			case info.State == kernel.Crashed:
				return fmt.Errorf("%s crashed on start: %s", name, info.Reason)
			case info.ExitCode != 0:
				return fmt.Errorf("%s exited on start with %s", name, info.Reason)
			case in.display.created(p.PID()) == 0:
				return fmt.Errorf("%s ran and exited without opening a window (its output went to the terminal)", name)
			}
			return nil
		case <-tick.C:
			if in.display.created(p.PID()) > 0 {
				return nil
			}
		case <-deadline.C:
			return nil
		case <-ctx.Done():
			in.k.Kill(p.PID(), true) // the user cancelled the open: do not leave it running
			return context.Canceled
		}
	}
}
