package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/registry"
)

// Native drivers: `orbital drivers` lists the installed driver packages and the drivers that
// running orbital processes supervise; startDrivers starts the installed drivers marked
// [triggers] boot = true beside a kernel (orbital run, orbital shell).
//
// A driver package (kind "driver") carries one executable per platform under
// bin/<GOOS>-<GOARCH>/: the manifest's entry is one of them and the others are [files]. The
// blob store keeps each by its sha256, and the driver host checks that digest again before
// every exec.

func init() {
	register(verb{
		Name:  "drivers",
		Usage: "drivers [--home DIR]",
		Short: "list installed native drivers and the drivers running orbital processes supervise",
		Run:   driversVerb,
	})
}

// platformDir is where a driver package keeps this platform's executable.
var platformDir = "bin/" + runtime.GOOS + "-" + runtime.GOARCH + "/"

// installedDriver is one installed driver package, resolved for this platform.
type installedDriver struct {
	Rec  *registry.Record
	Man  *registry.Manifest
	Spec drivers.Spec
	Err  error // why it cannot run here (no binary for this platform, a missing blob)
}

// installedDrivers returns the highest installed version of every driver package.
func installedDrivers(reg *registry.Registry) ([]installedDriver, error) {
	recs, err := reg.List("")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []installedDriver
	for _, rec := range recs {
		if rec.Kind != registry.KindDriver || seen[rec.Name] {
			continue
		}
		seen[rec.Name] = true
		d := installedDriver{Rec: rec}
		d.Man, d.Err = reg.Manifest(rec)
		if d.Err == nil {
			d.Spec, d.Err = driverSpec(reg, d.Man)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rec.Name < out[j].Rec.Name })
	return out, nil
}

// driverSpec picks this platform's executable out of a driver manifest.
func driverSpec(reg *registry.Registry, m *registry.Manifest) (drivers.Spec, error) {
	digest := ""
	if strings.HasPrefix(m.Entry, platformDir) {
		digest = m.EntryDigest
	}
	for f, d := range m.Files {
		if digest == "" && strings.HasPrefix(f, platformDir) {
			digest = d
		}
	}
	if digest == "" {
		return drivers.Spec{}, fmt.Errorf("driver %s@%s has no executable for %s-%s (looked for %s* in the package)", m.Name, m.Version, runtime.GOOS, runtime.GOARCH, platformDir)
	}
	restart := m.Restart
	if restart == "" {
		restart = drivers.RestartNever
	}
	return drivers.Spec{
		Name: m.Name, Version: m.Version, Device: m.Name,
		Path: reg.BlobPath(digest), Digest: digest,
		Network: len(m.Permissions.Net.Allow) > 0,
		Restart: drivers.Restart{Policy: restart},
	}, nil
}

// startDrivers starts the installed boot drivers on k's bus, each bound to the policy of its
// name, and returns the function that stops them. A driver that fails to start is reported on
// stderr and skipped: a broken driver does not keep the modules from running.
func startDrivers(k *kernel.Kernel, home string, stderr io.Writer) (stop func()) {
	reg, err := registry.Open(home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: drivers: %v\n", err)
		return func() {}
	}
	list, err := installedDrivers(reg)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: drivers: %v\n", err)
		return func() {}
	}
	var boot []installedDriver
	for _, d := range list {
		if d.Man != nil && d.Man.Triggers.Boot {
			if d.Err != nil {
				fmt.Fprintf(stderr, "orbital: driver %s: %v\n", d.Rec.Name, d.Err)
				continue
			}
			boot = append(boot, d)
		}
	}
	if len(boot) == 0 {
		return func() {}
	}
	var bound []bus.PID
	var next uint32 = uint32(drivers.FirstPID)
	m := drivers.NewManager(drivers.Config{
		Bus:         k.Bus(),
		CheckDevice: k.CheckDevice,
		AllocPID: func(name string) bus.PID {
			pid := bus.PID(next)
			next++
			if err := k.BindNamespace(pid, name); err != nil {
				fmt.Fprintf(stderr, "orbital: driver %s: policy: %v\n", name, err)
			}
			bound = append(bound, pid)
			return pid
		},
		Log: func(d string, level int, line string) {
			if level >= 1 {
				fmt.Fprintf(stderr, "driver %s: %s\n", d, line)
			}
		},
	})
	for _, d := range boot {
		if _, err := m.Start(d.Spec); err != nil {
			fmt.Fprintf(stderr, "orbital: %v\n", err)
		}
	}
	snap := newDriverSnapshot(home, m)
	liveDrivers.Store(k, m)
	return func() {
		liveDrivers.Delete(k)
		m.Close()
		snap.close()
		for _, pid := range bound {
			k.UnbindNamespace(pid)
		}
	}
}

// liveDrivers maps a *kernel.Kernel to the *drivers.Manager started beside it, for the
// process listings (orbital ps, the admin panel).
var liveDrivers sync.Map

// driverRows are the process-table rows of the drivers supervised beside k: kind "driver",
// protected (the panel does not stop system drivers), CPU and memory read from /proc.
func driverRows(k *kernel.Kernel) []admin.Proc {
	v, ok := liveDrivers.Load(k)
	if !ok {
		return nil
	}
	var rows []admin.Proc
	for _, d := range v.(*drivers.Manager).List() {
		p := admin.Proc{
			PID: uint32(d.PID), Name: d.Name, Version: d.Version, Kind: "driver", State: string(d.State),
			StartedBy: "boot", Started: d.Started, Restarts: d.Restarts, LastExit: d.Reason,
			Grants: append([]string{"device:" + d.Device}, d.Isolation...), Protected: true,
		}
		if in, ok := k.Bus().Inbox(d.PID); ok {
			st := in.Stats()
			p.Inbox, p.MsgsIn, p.MsgsOut, p.Drops = st.Depth, st.MsgsIn, st.Sent, st.Drops
		}
		if d.OSPID > 0 {
			p.CPU, p.Memory = procUsage(d.OSPID)
		}
		rows = append(rows, p)
	}
	return rows
}

// isDriverPID reports whether pid is a driver supervised beside k.
func isDriverPID(k *kernel.Kernel, pid uint32) bool {
	for _, r := range driverRows(k) {
		if r.PID == pid {
			return true
		}
	}
	return false
}

// procUsage reads a process's CPU time and resident memory from /proc (0 when gone).
func procUsage(pid int) (time.Duration, int64) {
	var cpu time.Duration
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			if f := strings.Fields(s[i+1:]); len(f) > 13 {
				ut, _ := strconv.ParseInt(f[11], 10, 64)
				st, _ := strconv.ParseInt(f[12], 10, 64)
				cpu = time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
			}
		}
	}
	var rss int64
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseInt(f[1], 10, 64)
			rss = pages * int64(os.Getpagesize())
		}
	}
	return cpu, rss
}

// driverSnapshot keeps <home>/run/drivers-<pid>.json current (once a second) so that
// `orbital drivers` in another process can show what this process supervises.
type driverSnapshot struct {
	path string
	m    *drivers.Manager
	stop chan struct{}
	done sync.WaitGroup
}

func newDriverSnapshot(home string, m *drivers.Manager) *driverSnapshot {
	s := &driverSnapshot{path: filepath.Join(home, "run", "drivers-"+strconv.Itoa(os.Getpid())+".json"), m: m, stop: make(chan struct{})}
	os.MkdirAll(filepath.Dir(s.path), 0o755)
	s.write()
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.write()
			}
		}
	}()
	return s
}

func (s *driverSnapshot) write() {
	b, _ := json.Marshal(s.m.List())
	tmp := s.path + ".tmp"
	if os.WriteFile(tmp, b, 0o644) == nil {
		os.Rename(tmp, s.path)
	}
}

func (s *driverSnapshot) close() {
	close(s.stop)
	s.done.Wait()
	os.Remove(s.path)
}

// runningDrivers reads the snapshots of live orbital processes (stale ones are removed).
func runningDrivers(home string) map[int][]drivers.Info {
	out := map[int][]drivers.Info{}
	files, _ := filepath.Glob(filepath.Join(home, "run", "drivers-*.json"))
	for _, f := range files {
		pid, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "drivers-"), ".json"))
		if err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); errors.Is(err, os.ErrNotExist) {
			os.Remove(f) // its process is gone (killed without cleanup)
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var rows []drivers.Info
		if json.Unmarshal(b, &rows) == nil {
			out[pid] = rows
		}
	}
	return out
}

func driversVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("drivers", stderr)
	homeFlag := fs.String("home", "", "Orbital home (default $ORBITAL_HOME, else ~/.local/share/orbital)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "orbital drivers: unexpected argument %q; usage: orbital drivers [--home DIR]\n", fs.Arg(0))
		return exitUsage
	}
	home, err := orbitalHome(*homeFlag)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return exitUsage
	}
	reg, err := registry.Open(home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	list, err := installedDrivers(reg)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "installed drivers:")
	if len(list) == 0 {
		fmt.Fprintln(stdout, "  none (install a driver package with `orbital install DIR|FILE|URL`)")
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if len(list) > 0 {
		fmt.Fprintln(tw, "  NAME\tVERSION\tBOOT\tRESTART\tDIGEST\tSTATUS")
	}
	for _, d := range list {
		boot, restart, status := "-", "-", "ok"
		if d.Man != nil {
			if d.Man.Triggers.Boot {
				boot = "yes"
			}
			restart = d.Man.Restart
			if restart == "" {
				restart = drivers.RestartNever
			}
		}
		if d.Err == nil {
			// The same check the host makes before exec, so a tampered blob shows here.
			if got, err := drivers.FileDigest(d.Spec.Path); err != nil {
				status = "binary missing: " + err.Error()
			} else if got != d.Spec.Digest {
				status = "digest mismatch: the blob has " + got + "; reinstall"
			}
		} else {
			status = d.Err.Error()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", d.Rec.Name, d.Rec.Version, boot, restart, shortDigest(d.Rec.EntryDigest), status)
	}
	tw.Flush()
	running := runningDrivers(home)
	fmt.Fprintln(stdout, "\nrunning drivers:")
	if len(running) == 0 {
		fmt.Fprintln(stdout, "  none (drivers run inside `orbital run` and `orbital shell`)")
		return 0
	}
	pids := make([]int, 0, len(running))
	for p := range running {
		pids = append(pids, p)
	}
	sort.Ints(pids)
	for _, p := range pids {
		fmt.Fprintf(stdout, "  in orbital process %d:\n", p)
		drivers.WriteList(stdout, running[p])
	}
	return 0
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
