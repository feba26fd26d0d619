package system

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
)

// controller adapts the instance to the admin panel's Controller. It answers from the kernel's
// process table and the instance's records, never from a module's thread, so a hung module
// cannot stall it.
type controller struct {
	in      *Instance
	started time.Time
}

func newController(in *Instance) *controller { return &controller{in: in, started: time.Now()} }

func (c *controller) Processes() []admin.Proc {
	infos := c.in.k.List()
	procs := make([]admin.Proc, 0, len(infos)+1)
	procs = append(procs, c.self())
	for _, info := range infos {
		if info.State.Done() {
			continue
		}
		by, restarts, lastExit := "user", 0, ""
		c.in.mu.Lock()
		if rec := c.in.procs[info.PID]; rec != nil {
			by, restarts, lastExit = rec.startedBy, rec.restarts, rec.lastExit
		}
		c.in.mu.Unlock()
		if n, ok := c.restartsOf(info.PID); ok {
			restarts = n
		}
		used, quota := c.storageOf(info)
		procs = append(procs, admin.Proc{
			PID: uint32(info.PID), Name: info.Name, Version: info.Version, Kind: info.Kind, State: info.State.String(),
			StartedBy: by, Started: info.Started, CPU: info.CPU, Memory: info.Memory, Storage: used, StorageQuota: quota,
			Inbox: info.Inbox.Depth, MsgsIn: info.Inbox.MsgsIn, MsgsOut: info.Inbox.Sent, Drops: info.Inbox.Drops,
			Restarts: restarts, LastExit: lastExit, Reload: info.Reload, Grants: grantList(c.in.k, info),
		})
	}
	procs = append(procs, c.unitRows()...)
	return append(procs, c.in.driverRows()...)
}

// storageOf is what a process's module keeps in its key-value storage and the quota its
// namespace grants.
func (c *controller) storageOf(info kernel.Info) (used, quota int64) {
	if ns := c.in.k.Namespace(info.PID); ns != nil {
		quota = ns.StorageQuota()
	}
	p := c.in.k.Process(info.PID)
	if p == nil || c.in.store == nil {
		return 0, quota
	}
	_, so := p.Spawned()
	used, _ = c.in.store.Usage(info.Name, so.Publisher)
	return used, quota
}

// self is the row of the Orbital process itself (the kernel and, in the shell, the shell):
// pid 0, protected.
func (c *controller) self() admin.Proc {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return admin.Proc{PID: 0, Name: c.in.cfg.Title, Kind: "kernel", State: "running", StartedBy: "user",
		Started: c.started, CPU: cpu, Memory: ru.Maxrss * 1024, Protected: true}
}

func (c *controller) check(pid uint32) error {
	if pid == 0 {
		return fmt.Errorf("pid 0 is %s itself: %w; close its window or stop it in its terminal", c.in.cfg.Title, admin.ErrProtected)
	}
	if c.in.isDriver(pid) {
		return fmt.Errorf("pid %d is a native driver: %w; the kernel supervises it (orbital drivers)", pid, admin.ErrProtected)
	}
	info, err := c.in.k.Info(bus.PID(pid))
	if err != nil || info.State.Done() {
		return fmt.Errorf("pid %d is not running (it may have exited meanwhile): %w", pid, admin.ErrNoProcess)
	}
	return nil
}

// Stop asks pid to quit. A supervised process is not restarted after it; stopping a module
// that waits to restart (or stopped in a crash loop) cancels the restart.
func (c *controller) Stop(pid uint32) error { return c.end(pid, false) }

// Kill ends pid at once; as Stop, a supervised process is not restarted.
func (c *controller) Kill(pid uint32) error { return c.end(pid, true) }

func (c *controller) end(pid uint32, force bool) error {
	if pid != 0 && !c.in.isDriver(pid) {
		if u, p := c.stopUnit(pid); u != nil {
			if p != nil {
				return c.in.k.Kill(p.PID(), force)
			}
			return nil
		}
	}
	if err := c.check(pid); err != nil {
		return err
	}
	return c.in.k.Kill(bus.PID(pid), force)
}

// Restart starts the module of pid again: a supervised one afresh (a crash loop forgotten),
// any other with the options it was started with. Either way with output of its own.
func (c *controller) Restart(pid uint32) error {
	if pid != 0 && !c.in.isDriver(pid) {
		if u, p := c.stopUnit(pid); u != nil {
			return c.restartUnit(u, p)
		}
	}
	if err := c.check(pid); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.in.Restart(ctx, bus.PID(pid))
	return err
}

func (c *controller) Logs(pid uint32, max int) ([]admin.LogLine, error) {
	lines, ok := c.in.logs.lines(bus.PID(pid), max)
	if !ok {
		if _, err := c.in.k.Info(bus.PID(pid)); err != nil {
			return nil, fmt.Errorf("pid %d: %w", pid, admin.ErrNoProcess)
		}
	}
	return lines, nil
}

// grantList summarises a process's effective namespace and running limits for the panel's
// Grants column.
func grantList(k *kernel.Kernel, info kernel.Info) []string {
	ns := k.Namespace(info.PID)
	if ns == nil {
		return []string{"unrestricted (no policies loaded)"}
	}
	out := policies.Summary(&ns.Grants)
	// Limits that act while it runs, with what they did.
	if l := info.Limits.CPU; l > 0 && l < 100 {
		out = append(out, fmt.Sprintf("cpu:%d%% (held %v)", l, info.Throttled.Round(time.Millisecond)))
	}
	if f := info.Limits.Fuel; f > 0 {
		out = append(out, fmt.Sprintf("fuel:%d/%d", info.Fuel, f))
	}
	if len(out) == 0 {
		out = []string{"none"}
	}
	return out
}

var (
	_ admin.Controller = (*controller)(nil)
	_ admin.Scheduler  = (*controller)(nil)
)
