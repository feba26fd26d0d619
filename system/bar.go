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
	// Ask, if set, asks the user about what the module's manifest requests beyond policy and
	// adjusts so to the answer (the shell's permission prompt). It returns a notice for the
	// bar, what was denied (a failure to start names it, through Denied) or ctx's error.
	Ask    func(ctx context.Context, so *kernel.SpawnOptions, digest string) (note, denied string, err error)
	Notice func(msg string)
	Denied func(err error, denied string) error
	// WaitStart is how long Open waits for the new process to open a window before calling
	// it started anyway (a module without windows); ending first is Open's error. Default 10 s.
	WaitStart time.Duration
	StartedBy string // for the panel; default "user (URL bar)"
	// OnExit, if set, hears how a process that started ended (a crash, for the error line).
	OnExit func(kernel.Info)
}

// Open resolves text (a module name, a path, a file:// or http(s):// URL, orbital://NAME or
// orbital://admin) and starts the module with a UI grant under its installed identity. It
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
	var denied string
	if o.Ask != nil {
		var note string
		if note, denied, err = o.Ask(ctx, &so, identityDigest(mod)); err != nil {
			return nil, err
		}
		if note != "" && o.Notice != nil {
			o.Notice(note)
		}
	}
	if o.StartedBy == "" {
		o.StartedBy = "user (URL bar)"
	}
	if needsConsole(mod) {
		return in.openConsole(mod, so, m.Name, o) // console.go: its window is there at once
	}
	p, err := in.spawn(mod, so, o.StartedBy, true, nil)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", m.Name, err)
	}
	if err := in.waitStart(ctx, p, m.Name, o.WaitStart); err != nil {
		if o.Denied != nil && denied != "" {
			err = o.Denied(err, denied)
		}
		return nil, err
	}
	if o.OnExit != nil {
		go func() {
			<-p.Done()
			o.OnExit(p.Info())
		}()
	}
	return p, nil
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
