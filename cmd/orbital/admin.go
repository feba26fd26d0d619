package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
)

// kernelControl adapts the kernel to the admin panel's Controller. It answers from the
// kernel's process table, never from a module's thread, so a hung module cannot stall it.
type kernelControl struct {
	k       *kernel.Kernel
	logs    *logBook
	started time.Time
	title   string

	mu   sync.Mutex
	meta map[bus.PID]procMeta
}

// procMeta is what the kernel does not know about a process: who started it, how often it
// was restarted, and how its previous incarnation ended.
type procMeta struct {
	startedBy string
	restarts  int
	lastExit  string
}

func newKernelControl(k *kernel.Kernel, logs *logBook, title string) *kernelControl {
	return &kernelControl{k: k, logs: logs, started: time.Now(), title: title, meta: map[bus.PID]procMeta{}}
}

// noteStart records who started pid ("user: orbital run", "user: URL bar", "restart of pid 3").
func (c *kernelControl) noteStart(pid bus.PID, by string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.meta[pid]
	m.startedBy = by
	c.meta[pid] = m
}

func (c *kernelControl) Processes() []admin.Proc {
	infos := c.k.List()
	procs := make([]admin.Proc, 0, len(infos)+1)
	procs = append(procs, c.self())
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, in := range infos {
		if in.State.Done() {
			continue
		}
		m := c.meta[in.PID]
		if m.startedBy == "" {
			m.startedBy = "user"
		}
		procs = append(procs, admin.Proc{
			PID: uint32(in.PID), Name: in.Name, Version: in.Version, Kind: in.Kind, State: in.State.String(),
			StartedBy: m.startedBy, Started: in.Started, CPU: in.CPU, Memory: in.Memory,
			Inbox: in.Inbox.Depth, MsgsIn: in.Inbox.MsgsIn, MsgsOut: in.Inbox.Sent, Drops: in.Inbox.Drops,
			Restarts: m.restarts, LastExit: m.lastExit, Grants: grantList(c.k, in),
		})
	}
	return append(procs, driverRows(c.k)...) // native drivers (drivers.go)
}

// self is the row of the Orbital process itself (the kernel and, in the shell, the shell):
// pid 0, protected.
func (c *kernelControl) self() admin.Proc {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return admin.Proc{PID: 0, Name: c.title, Kind: "kernel", State: "running", StartedBy: "user",
		Started: c.started, CPU: cpu, Memory: ru.Maxrss * 1024, Protected: true}
}

func (c *kernelControl) check(pid uint32) (kernel.Info, error) {
	if pid == 0 {
		return kernel.Info{}, fmt.Errorf("pid 0 is %s itself: %w; close its window or stop it in its terminal", c.title, admin.ErrProtected)
	}
	if isDriverPID(c.k, pid) {
		return kernel.Info{}, fmt.Errorf("pid %d is a native driver: %w; the kernel supervises it (orbital drivers)", pid, admin.ErrProtected)
	}
	in, err := c.k.Info(bus.PID(pid))
	if err != nil || in.State.Done() {
		return in, fmt.Errorf("pid %d is not running (it may have exited meanwhile): %w", pid, admin.ErrNoProcess)
	}
	return in, nil
}

func (c *kernelControl) Stop(pid uint32) error {
	if _, err := c.check(pid); err != nil {
		return err
	}
	return c.k.Kill(bus.PID(pid), false)
}

func (c *kernelControl) Kill(pid uint32) error {
	if _, err := c.check(pid); err != nil {
		return err
	}
	return c.k.Kill(bus.PID(pid), true)
}

func (c *kernelControl) Restart(pid uint32) error {
	if _, err := c.check(pid); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	np, err := c.k.Respawn(ctx, bus.PID(pid))
	if err != nil {
		return err
	}
	old, _ := c.k.Info(bus.PID(pid))
	c.mu.Lock()
	m := c.meta[bus.PID(pid)]
	c.meta[np.PID()] = procMeta{startedBy: fmt.Sprintf("restart of pid %d", pid), restarts: m.restarts + 1, lastExit: old.Reason}
	delete(c.meta, bus.PID(pid))
	c.mu.Unlock()
	return nil
}

func (c *kernelControl) Logs(pid uint32, max int) ([]admin.LogLine, error) {
	lines, ok := c.logs.lines(bus.PID(pid), max)
	if !ok {
		if _, err := c.k.Info(bus.PID(pid)); err != nil {
			return nil, fmt.Errorf("pid %d: %w", pid, admin.ErrNoProcess)
		}
	}
	return lines, nil
}

// grantList summarises a process's effective namespace and running limits for the panel's
// Grants column.
func grantList(k *kernel.Kernel, in kernel.Info) []string {
	ns := k.Namespace(in.PID)
	if ns == nil {
		return []string{"unrestricted (no policies loaded)"}
	}
	out := policies.Summary(&ns.Grants)
	// Limits that act while it runs, with what they did.
	if c := in.Limits.CPU; c > 0 && c < 100 {
		out = append(out, fmt.Sprintf("cpu:%d%% (held %v)", c, in.Throttled.Round(time.Millisecond)))
	}
	if f := in.Limits.Fuel; f > 0 {
		out = append(out, fmt.Sprintf("fuel:%d/%d", in.Fuel, f))
	}
	if len(out) == 0 {
		out = []string{"none"}
	}
	return out
}

// adminPanel is the running panel of one Orbital instance: HTTP on 127.0.0.1 and the control
// socket.
type adminPanel struct {
	http *admin.Listener
	ctl  *admin.ControlServer
}

// startAdmin serves ctl's panel for the instance whose home is home. A failure is reported on
// stderr and leaves the instance running without a panel: the panel must never stop a user
// from running their modules.
func startAdmin(home string, ctl admin.Controller, title string, stderr io.Writer) *adminPanel {
	p := &adminPanel{}
	l, err := admin.NewServer(ctl, title).Listen("127.0.0.1:0", filepath.Join(home, "run", "admin.url"))
	if err != nil {
		fmt.Fprintf(stderr, "orbital: admin panel not started: %v\n", err)
	} else {
		p.http = l
	}
	cs, err := admin.ListenControl(admin.ControlSocketPath(home), ctl)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: control socket not started (orbital ps will not reach this instance): %v\n", err)
	} else {
		p.ctl = cs
	}
	return p
}

// URL is the panel's address, "" if it did not start.
func (p *adminPanel) URL() string {
	if p == nil || p.http == nil {
		return ""
	}
	return p.http.URL
}

// Close stops the panel; closing twice is harmless.
func (p *adminPanel) Close() {
	if p == nil {
		return
	}
	if p.http != nil {
		p.http.Close()
	}
	if p.ctl != nil {
		p.ctl.Close()
	}
}

// startSysService answers the kernel's sys.* introspection requests on the bus (pid 0). A
// failure is reported and leaves the instance running without it.
func startSysService(k *kernel.Kernel, ctl admin.Controller, stderr io.Writer) func() {
	audit := func(n int) (any, error) {
		st := k.Policies()
		if st == nil || st.Audit() == nil {
			return nil, errors.New("sys.audit: no policies are loaded, so nothing is audited")
		}
		recs, err := policies.ReadAudit(st.Audit().Path())
		if err != nil {
			return nil, fmt.Errorf("sys.audit: %w", err)
		}
		if len(recs) > n {
			recs = recs[len(recs)-n:]
		}
		return recs, nil
	}
	svc, err := admin.StartService(admin.ServiceConfig{Bus: k.Bus(), PID: 0, Audit: audit}, ctl)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: sys.* bus service not started: %v\n", err)
		return func() {}
	}
	return svc.Close
}

// adminURL is what the shell's URL bar takes for the admin panel.
const adminURL = "orbital://admin"

// adminSource opens orbital://admin: the admin module shipped with Orbital (modules/admin),
// found like any demo module, ahead of the registry's orbital:// names.
func adminSource(home string) openSource {
	names := nameSource(home)
	return openSource{Name: "admin panel", Open: func(ctx context.Context, text string, progress func(done, total int64)) (openedModule, bool, error) {
		if strings.TrimSuffix(text, "/") != adminURL {
			return openedModule{}, false, nil
		}
		m, _, err := names.Open(ctx, "admin", progress)
		if err != nil {
			return openedModule{}, true, fmt.Errorf("%s: the admin module is not installed beside orbital: %w", adminURL, err)
		}
		return m, true, nil
	}}
}
