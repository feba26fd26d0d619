package system

import (
	"context"
	"fmt"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/console"
	"github.com/orbital/orbital/kernel"
)

// Console windows (docs/design/console.md): a WASI command opened from the bar that cannot
// open a window of its own (it does not import orbital.surface_create) gets a console: its
// stdout and stderr are drawn there, what the user types there is its stdin, and the window
// stays with the exit status after the program ends, until the user closes it.

// consoleWin is one console window; the instance keeps it until it is closed.
type consoleWin struct {
	con   *console.Console
	surf  *compositor.Surface
	pid   bus.PID
	ended chan struct{} // closed once the program ended and its output was all shown
}

// needsConsole reports whether a module opened from the bar gets a console window.
func needsConsole(m *kernel.Module) bool {
	return m.Kind == "app" && !m.Imports("orbital", "surface_create")
}

// openConsole starts m with a console window for its standard streams.
func (in *Instance) openConsole(m *kernel.Module, so kernel.SpawnOptions, name string, o OpenOptions) (*kernel.Process, error) {
	win := &consoleWin{ended: make(chan struct{})}
	con, err := console.New(console.Config{
		Copy:      in.clipboardWrite,
		Paste:     in.clipboardRead,
		Interrupt: func() { in.Stop(win.pid, false) },
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: console: %w", name, err)
	}
	win.con = con
	so.Stdin = con.Stdin()
	p, out, err := in.spawnTo(m, so, o.StartedBy, true, nil, con.Output(), con.Output())
	if err != nil {
		con.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	win.pid = p.PID()
	create := in.scene.CreateSurface
	if in.display.hidden {
		create = in.scene.CreateHiddenSurface
	}
	w, h := con.Size()
	sf, err := create(uint32(p.PID()), name, name, w, h)
	if err != nil {
		in.k.Kill(p.PID(), true)
		con.Close()
		return nil, fmt.Errorf("start %s: console window: %w", name, err)
	}
	win.surf = sf
	con.Start(sf)
	in.mu.Lock()
	in.consoles[sf] = win
	in.mu.Unlock()
	go func() {
		<-p.Done()
		out.wait()
		info := p.Info()
		con.Exit(exitStatus(info))
		sf.SetTitle(name + " (" + exitStatus(info) + ")")
		close(win.ended)
		o.OnExit(info) // Open set it
	}()
	return p, nil
}

// exitStatus says how a program ended, for its console's last line.
func exitStatus(in kernel.Info) string {
	switch {
	case in.State == kernel.Crashed:
		return "crashed: " + in.Reason
	case in.ExitCode == kernel.ExitKilled:
		return "killed"
	}
	return fmt.Sprintf("exited with status %d", in.ExitCode)
}

// consoleFor returns the console window of surface s, or nil.
func (in *Instance) consoleFor(s *compositor.Surface) *consoleWin {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.consoles[s]
}

// CloseWindow is the user closing pid's window: a console window closes (stopping its program
// first if it still runs); any other process is asked to quit, and its windows go with it.
func (in *Instance) CloseWindow(pid bus.PID) error {
	in.mu.Lock()
	var win *consoleWin
	for _, w := range in.consoles {
		if w.pid == pid {
			win = w
		}
	}
	in.mu.Unlock()
	if win == nil {
		return in.Stop(pid, false)
	}
	if err := in.Stop(pid, false); err != nil {
		return err
	}
	go func() {
		<-win.ended // the kernel forces the program after its grace period
		in.closeConsole(win)
	}()
	return nil
}

func (in *Instance) closeConsole(win *consoleWin) {
	in.mu.Lock()
	delete(in.consoles, win.surf)
	in.mu.Unlock()
	win.con.Close()
}

// closeConsoles closes every console window (the instance is closing).
func (in *Instance) closeConsoles() {
	in.mu.Lock()
	wins := make([]*consoleWin, 0, len(in.consoles))
	for _, w := range in.consoles {
		wins = append(wins, w)
	}
	in.mu.Unlock()
	for _, w := range wins {
		in.closeConsole(w)
	}
}

// consoleEvent turns a shell event for a console window into the console's.
func consoleEvent(ev kernel.Event) console.Event {
	return console.Event{Type: ev.Type, X: ev.X, Y: ev.Y, Code: ev.Code, Modifiers: ev.Modifiers, DX: ev.DX, DY: ev.DY}
}

// clipboardTimeout bounds a console's copy or paste (the shell's clipboard answers from its
// main loop).
const clipboardTimeout = 2 * time.Second

func (in *Instance) clipboardWrite(text string) {
	ctx, cancel := context.WithTimeout(context.Background(), clipboardTimeout)
	defer cancel()
	if err := in.cfg.Clipboard.WriteClipboard(ctx, text); err != nil {
		in.errorf("console copy: %v", err)
	}
}

func (in *Instance) clipboardRead() string {
	ctx, cancel := context.WithTimeout(context.Background(), clipboardTimeout)
	defer cancel()
	s, err := in.cfg.Clipboard.ReadClipboard(ctx)
	if err != nil {
		in.errorf("console paste: %v", err)
	}
	return s
}
