package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
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
			Restarts: m.restarts, LastExit: m.lastExit, Grants: grantList(c.k, in.PID),
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

// grantList summarises pid's effective namespace for the panel's Grants column.
func grantList(k *kernel.Kernel, pid bus.PID) []string {
	ns := k.Namespace(pid)
	if ns == nil {
		return []string{"unrestricted (no policies loaded)"}
	}
	g := ns.Grants
	var out []string
	for _, p := range g.FS {
		out = append(out, fmt.Sprintf("fs:%s(%s)", p.Guest, p.Mode))
	}
	rules := func(prefix string, rs []policies.Rule) {
		for _, r := range rs {
			out = append(out, prefix+r.Value)
		}
	}
	rules("publish:", g.Publish)
	rules("subscribe:", g.Subscribe)
	rules("request:", g.Request)
	rules("device:", g.Devices)
	rules("net:", g.Net)
	rules("spawn:", g.Spawn)
	if g.Direct.On {
		out = append(out, "direct")
	}
	if g.Windows.On {
		out = append(out, "windows")
	}
	if g.Clipboard.On {
		out = append(out, "clipboard")
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
	cs, err := admin.ListenControl(controlSocketPath(home), ctl)
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

// controlSocketPath is $ORBITAL_HOME/run/control.sock, or, when that path is too long for a
// unix socket (108 bytes on Linux), a path in the temp dir derived from the home.
func controlSocketPath(home string) string {
	p := filepath.Join(home, "run", "control.sock")
	if len(p) < 100 {
		return p
	}
	abs, _ := filepath.Abs(home)
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), "orbital-"+hex.EncodeToString(sum[:8])+".sock")
}

// logBook keeps the newest lines of every process's log and WASI stdout/stderr for the panel's
// log view, bounded per process.
type logBook struct {
	mu    sync.Mutex
	rings map[bus.PID]*logRing
	order []bus.PID // oldest first, to drop rings of long-gone processes
}

const (
	logLinesPerProc = 1000
	logProcs        = 256
)

type logRing struct {
	lines []admin.LogLine
	next  int
	full  bool
}

func newLogBook() *logBook { return &logBook{rings: map[bus.PID]*logRing{}} }

func (b *logBook) add(pid bus.PID, ln admin.LogLine) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.rings[pid]
	if r == nil {
		r = &logRing{lines: make([]admin.LogLine, logLinesPerProc)}
		b.rings[pid] = r
		b.order = append(b.order, pid)
		if len(b.order) > logProcs {
			delete(b.rings, b.order[0])
			b.order = b.order[1:]
		}
	}
	r.lines[r.next] = ln
	r.next = (r.next + 1) % len(r.lines)
	if r.next == 0 {
		r.full = true
	}
}

// lines returns up to max newest lines of pid, oldest first; ok is false if pid never logged.
func (b *logBook) lines(pid bus.PID, max int) ([]admin.LogLine, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.rings[pid]
	if r == nil {
		return nil, false
	}
	var all []admin.LogLine
	if r.full {
		all = append(all, r.lines[r.next:]...)
	}
	all = append(all, r.lines[:r.next]...)
	if max > 0 && len(all) > max {
		all = all[len(all)-max:]
	}
	return all, true
}

var levelNames = [...]string{"debug", "info", "warn", "error"}

// hook returns a kernel.Config.Log function that keeps each line and echoes it to w as the
// kernel's default does.
func (b *logBook) hook(w io.Writer) func(pid bus.PID, name string, level int, line string) {
	var mu sync.Mutex
	return func(pid bus.PID, name string, level int, line string) {
		lv := "info"
		if level >= 0 && level < len(levelNames) {
			lv = levelNames[level]
		}
		b.add(pid, admin.LogLine{Time: time.Now(), Stream: "log", Level: lv, Text: line})
		if w != nil {
			mu.Lock()
			fmt.Fprintf(w, "%s[%d]: %s\n", name, pid, line)
			mu.Unlock()
		}
	}
}

func init() {
	register(verb{Name: "ps", Usage: "ps [--home DIR]", Short: "list the modules of the running Orbital instance", Run: psVerb})
	register(verb{Name: "kill", Usage: "kill [--force] [--home DIR] PID...", Short: "stop modules of the running instance (quit request, then forced)", Run: killVerb})
	register(verb{Name: "admin", Usage: "admin [--home DIR]", Short: "print the admin panel's URL of the running instance", Run: adminVerb})
	register(verb{Name: "logs", Usage: "logs [-n N] [--home DIR] PID", Short: "print a module's log and stdout/stderr lines", Run: logsVerb})
}

func controlClient(homeFlag string, stderr io.Writer) (admin.ControlClient, bool) {
	home, err := orbitalHome(homeFlag)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return admin.ControlClient{}, false
	}
	return admin.ControlClient{Path: controlSocketPath(home)}, true
}

func psVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ps", stderr)
	home := fs.String("home", "", "Orbital home of the instance (default $ORBITAL_HOME)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	c, ok := controlClient(*home, stderr)
	if !ok {
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	procs, now, err := c.Processes(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "orbital ps: %v\n", err)
		return 1
	}
	admin.WriteTable(stdout, procs, now)
	return 0
}

func killVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("kill", stderr)
	home := fs.String("home", "", "Orbital home of the instance (default $ORBITAL_HOME)")
	force := fs.Bool("force", false, "kill at once instead of asking the module to quit first")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "orbital kill: name at least one PID (see orbital ps)")
		return exitUsage
	}
	c, ok := controlClient(*home, stderr)
	if !ok {
		return exitUsage
	}
	op := "stop"
	if *force {
		op = "kill"
	}
	code := 0
	for _, a := range fs.Args() {
		var pid uint32
		if _, err := fmt.Sscanf(a, "%d", &pid); err != nil || fmt.Sprint(pid) != a {
			fmt.Fprintf(stderr, "orbital kill: %q is not a pid (see orbital ps)\n", a)
			code = exitUsage
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.Do(ctx, op, pid)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "orbital kill: %v\n", err)
			if errors.Is(err, admin.ErrNotRunning) {
				return 1
			}
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%s pid %d\n", map[string]string{"stop": "stopping", "kill": "killed"}[op], pid)
	}
	return code
}

func adminVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("admin", stderr)
	home := fs.String("home", "", "Orbital home of the instance (default $ORBITAL_HOME)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	h, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital admin: %v\n", err)
		return exitUsage
	}
	b, err := os.ReadFile(filepath.Join(h, "run", "admin.url"))
	if err != nil {
		fmt.Fprintf(stderr, "orbital admin: no running Orbital instance with home %s (start `orbital` or `orbital run` first)\n", h)
		return 1
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(b)))
	return 0
}

func logsVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("logs", stderr)
	home := fs.String("home", "", "Orbital home of the instance (default $ORBITAL_HOME)")
	n := fs.Int("n", 200, "number of newest lines")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	var pid uint32
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "orbital logs: name one PID (see orbital ps)")
		return exitUsage
	}
	if _, err := fmt.Sscanf(fs.Arg(0), "%d", &pid); err != nil {
		fmt.Fprintf(stderr, "orbital logs: %q is not a pid\n", fs.Arg(0))
		return exitUsage
	}
	c, ok := controlClient(*home, stderr)
	if !ok {
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lines, err := c.Logs(ctx, pid, *n)
	if err != nil {
		fmt.Fprintf(stderr, "orbital logs: %v\n", err)
		return 1
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
	for _, l := range lines {
		fmt.Fprintf(stdout, "%s %s %s\n", l.Time.Format("15:04:05.000"), l.Stream, l.Text)
	}
	return 0
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
