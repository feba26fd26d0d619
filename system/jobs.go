package system

import (
	"context"
	"fmt"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/registry"
)

// The panel's view of the supervisor (admin.Scheduler): the jobs of the triggers, the
// installed modules with Start, the rows of modules waiting to restart or stopped in a crash
// loop, and Stop, Kill and Restart of supervised processes.

// Jobs lists every trigger of every unit, by module.
func (c *controller) Jobs() []admin.Job {
	s := c.in.sup
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []admin.Job
	for _, u := range s.sortedUnitsLocked() {
		for _, j := range u.jobs {
			row := admin.Job{Module: u.name, Trigger: j.trigger, State: u.state, LastRun: j.lastRun, NextRun: j.nextRun,
				Runs: j.runs, Skips: j.skips, LastExit: j.lastExit, Restarts: u.restarts}
			if u.proc != nil {
				row.PID = uint32(u.proc.PID())
			}
			if u.state == unitFailed {
				row.LastExit = u.lastExit
			}
			out = append(out, row)
		}
	}
	return out
}

// Installed lists the newest installed version of each module that runs as a process.
func (c *controller) Installed() []admin.Module {
	recs, err := c.in.reg.List("")
	if err != nil {
		return nil
	}
	running := map[string]bool{}
	for _, info := range c.in.k.List() {
		if !info.State.Done() {
			running[info.Name] = true
		}
	}
	var out []admin.Module
	for i, rec := range recs {
		if i > 0 && recs[i-1].Name == rec.Name || rec.Kind == registry.KindLibrary || rec.Kind == registry.KindDriver {
			continue
		}
		out = append(out, admin.Module{Name: rec.Name, Version: rec.Version, Kind: string(rec.Kind),
			Description: rec.Description, Running: running[rec.Name]})
	}
	return out
}

// Start implements admin.Scheduler.
func (c *controller) Start(name string) (uint32, error) {
	p, err := c.in.StartModule(name)
	if err != nil {
		return 0, err
	}
	return uint32(p.PID()), nil
}

// unitRows are the rows of units with no process: waiting in backoff, or stopped in a crash
// loop (their last pid, with the reason), so ps and the panel say so.
func (c *controller) unitRows() []admin.Proc {
	s := c.in.sup
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []admin.Proc
	for _, u := range s.sortedUnitsLocked() {
		if u.state == unitBackoff || u.state == unitFailed {
			rows = append(rows, admin.Proc{PID: uint32(u.lastPID), Name: u.module(), Kind: "app", State: u.state,
				StartedBy: "trigger", Restarts: u.restarts, LastExit: u.lastExit})
		}
	}
	return rows
}

// restartsOf is how often the supervisor restarted the unit whose process pid is (0: none).
func (c *controller) restartsOf(pid bus.PID) (int, bool) {
	u := c.in.sup.byPID(pid)
	if u == nil {
		return 0, false
	}
	s := c.in.sup
	s.mu.Lock()
	defer s.mu.Unlock()
	return u.restarts, true
}

// stopUnit stops the unit pid belongs to, if any: no restart follows, a pending one is
// cancelled. It reports whether pid was a unit's, and the process to end (nil: none runs).
func (c *controller) stopUnit(pid uint32) (*unit, proc) {
	u := c.in.sup.byPID(bus.PID(pid))
	if u == nil {
		return nil, nil
	}
	return u, c.in.sup.stop(u)
}

// restartUnit stops u's process (if it runs), waits for it and starts u afresh.
func (c *controller) restartUnit(u *unit, p proc) error {
	if p != nil {
		c.in.k.Kill(p.PID(), false)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.in.sup.waitEnded(ctx, u, p); err != nil {
			return fmt.Errorf("restart %s (pid %d): still running after 10s", u.name, p.PID())
		}
	}
	_, err := c.in.sup.startNow(u, fmt.Sprintf("restart of pid %d (panel)", u.lastPID))
	return err
}
