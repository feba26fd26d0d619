package system

import (
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
)

// Native drivers beside the kernel: the installed driver packages marked [triggers] boot = true
// start with the instance (as its owner), each bound to the policy of its name, and stop after
// the modules that use them.
//
// A driver package (kind "driver") carries one executable per platform under
// bin/<GOOS>-<GOARCH>/: the manifest's entry is one of them and the others are [files]. The
// blob store keeps each by its sha256, and the driver host checks that digest again before
// every exec.

// platformDir is where a driver package keeps this platform's executable.
var platformDir = "bin/" + runtime.GOOS + "-" + runtime.GOARCH + "/"

// InstalledDriver is one installed driver package, resolved for this platform.
type InstalledDriver struct {
	Rec  *registry.Record
	Man  *registry.Manifest
	Spec drivers.Spec
	Err  error // why it cannot run here (no binary for this platform, a missing blob)
}

// Boot and Restart are the driver's boot trigger ("yes", "-") and restart policy, as
// `orbital drivers` lists them.
func (d InstalledDriver) Boot() string {
	if d.Man != nil && d.Man.Triggers.Boot {
		return "yes"
	}
	return "-"
}

func (d InstalledDriver) Restart() string {
	switch {
	case d.Man == nil:
		return "-"
	case d.Man.Restart == "":
		return drivers.RestartNever
	}
	return d.Man.Restart
}

// Status is "ok", or why the driver cannot run here: the digest check the host makes before
// every exec, made now, so a tampered blob shows before a start refuses it.
func (d InstalledDriver) Status() string {
	if d.Err != nil {
		return d.Err.Error()
	}
	got, err := drivers.FileDigest(d.Spec.Path)
	switch {
	case err != nil:
		return "binary missing: " + err.Error()
	case got != d.Spec.Digest:
		return "digest mismatch: the blob has " + got + "; reinstall"
	}
	return "ok"
}

// InstalledDriversOf is InstalledDrivers of home's registry.
func InstalledDriversOf(home string) ([]InstalledDriver, error) {
	reg, err := registry.Open(home)
	if err != nil {
		return nil, err
	}
	return InstalledDrivers(reg)
}

// InstalledDrivers returns the highest installed version of every driver package.
func InstalledDrivers(reg *registry.Registry) ([]InstalledDriver, error) {
	recs, err := reg.List("")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []InstalledDriver
	for _, rec := range recs {
		if rec.Kind != registry.KindDriver || seen[rec.Name] {
			continue
		}
		seen[rec.Name] = true
		d := InstalledDriver{Rec: rec}
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
		Display: m.Permissions.UI.Windows,
		Restart: drivers.Restart{Policy: restart},
	}, nil
}

// driverSet is the drivers an instance supervises.
type driverSet struct {
	m     *drivers.Manager
	snap  *driverSnapshot
	bound []bus.PID // bound to a namespace; unbound when the set closes
}

// startDrivers starts the installed boot drivers on the kernel's bus. A driver that fails to
// start is reported and skipped: a broken driver does not keep the modules from running.
func (in *Instance) startDrivers() {
	list, err := InstalledDrivers(in.reg)
	if err != nil {
		in.errorf("drivers: %v", err)
		return
	}
	var boot []InstalledDriver
	for _, d := range list {
		if d.Man != nil && d.Man.Triggers.Boot {
			if d.Err != nil {
				in.errorf("driver %s: %v", d.Rec.Name, d.Err)
				continue
			}
			boot = append(boot, d)
		}
	}
	if len(boot) == 0 {
		return
	}
	ds := &driverSet{}
	next := uint32(drivers.FirstPID)
	ds.m = drivers.NewManager(drivers.Config{
		Bus:         in.k.Bus(),
		CheckDevice: in.k.CheckDevice,
		AllocPID: func(name string) bus.PID {
			pid := bus.PID(next)
			next++
			if err := in.k.BindNamespace(pid, name); err != nil {
				in.errorf("driver %s: policy: %v", name, err)
			}
			ds.bound = append(ds.bound, pid)
			return pid
		},
		Peer:  in.driverPeer,
		Audit: in.driverAudit,
		Log: func(d string, level int, line string) {
			if level >= 1 {
				fmt.Fprintf(in.cfg.Stderr, "driver %s: %s\n", d, line)
			}
		},
	})
	for _, d := range boot {
		if _, err := ds.m.Start(d.Spec); err != nil {
			in.errorf("%v", err)
		}
	}
	ds.snap = newDriverSnapshot(in.cfg.Home, ds.m)
	in.drivers = ds
	in.undo = append(in.undo, func() {
		ds.m.Close()
		ds.snap.close()
		for _, pid := range ds.bound {
			in.k.UnbindNamespace(pid)
		}
	})
}

// driverPeer tells a driver who a process sending to it is: its module name and the ceilings
// its policy sets (the GPU driver's limits.gpu_memory, gpu_dispatches, gpu_budget).
func (in *Instance) driverPeer(pid bus.PID) drivers.PeerInfo {
	var p drivers.PeerInfo
	if proc := in.k.Process(pid); proc != nil {
		p.Name = proc.Name()
	}
	if ns := in.k.Namespace(pid); ns != nil {
		p.Limits = policies.Ceilings(&ns.Grants)
		if p.Name == "" {
			p.Name = ns.Module
		}
	}
	return p
}

// driverAudit writes a refusal a driver made (over one of its limits) to the audit log, as
// the kernel's doors write theirs.
func (in *Instance) driverAudit(driver string, pid bus.PID, op, object, reason string) {
	st := in.k.Policies()
	if st == nil || st.Audit() == nil {
		return
	}
	name := in.driverPeer(pid).Name
	if err := st.Audit().Record(policies.Record{PID: uint32(pid), Module: name, Op: op, Object: object, Rule: "driver " + driver + ": " + reason}); err != nil {
		in.errorf("audit: %v", err)
	}
}

// driverRows are the process-table rows of the supervised drivers: kind "driver", protected
// (the panel does not stop system drivers), CPU and memory read from /proc.
func (in *Instance) driverRows() []admin.Proc {
	if in.drivers == nil {
		return nil
	}
	var rows []admin.Proc
	for _, d := range in.drivers.m.List() {
		p := admin.Proc{
			PID: uint32(d.PID), Name: d.Name, Version: d.Version, Kind: "driver", State: string(d.State),
			StartedBy: "boot", Started: d.Started, Restarts: d.Restarts, LastExit: d.Reason,
			Grants: append([]string{"device:" + d.Device}, d.Isolation...), Protected: true,
		}
		if ib, ok := in.k.Bus().Inbox(d.PID); ok {
			st := ib.Stats()
			p.Inbox, p.MsgsIn, p.MsgsOut, p.Drops = st.Depth, st.MsgsIn, st.Sent, st.Drops
		}
		if d.OSPID > 0 {
			p.CPU, p.Memory = ProcUsage(d.OSPID)
		}
		for _, u := range d.Usage {
			p.Usage = append(p.Usage, admin.DeviceUse{PID: uint32(u.PID), Name: in.driverPeer(u.PID).Name, Values: u.Values})
		}
		rows = append(rows, p)
	}
	return rows
}

// isDriver reports whether pid is a supervised driver.
func (in *Instance) isDriver(pid uint32) bool {
	for _, r := range in.driverRows() {
		if r.PID == pid {
			return true
		}
	}
	return false
}
