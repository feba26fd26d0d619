package system

import (
	"fmt"
	"time"

	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/registry"
)

// The instance's side of the supervisor: units made from the installed manifests, processes
// spawned like any other (Load, identity, capture), and the lines that go to a module's log.

// startSupervisor makes the supervisor (the panel's Start uses it in every instance) and, when
// the instance runs the home's triggers, a unit for every installed module that has some.
func (in *Instance) startSupervisor() {
	in.sup = newSupervisor(in.startUnit, in.killUnit, in.unitLog)
	in.undo = append(in.undo, in.sup.close) // Close waits for its goroutines once the kernel closed
	in.startServices()
	if !in.Owner() || !in.cfg.Triggers {
		return
	}
	recs, err := in.reg.List("")
	if err != nil {
		in.errorf("triggers: %v", err)
		return
	}
	relay := relayBase
	for i, rec := range recs {
		if i > 0 && recs[i-1].Name == rec.Name || rec.Kind == registry.KindLibrary || rec.Kind == registry.KindDriver {
			continue // an older version; libraries are never started, drivers are the driver host's
		}
		man, err := in.reg.Manifest(rec)
		if err != nil {
			in.errorf("triggers of %s: %v", rec.ID(), err)
			continue
		}
		u := unitFor(man)
		if len(u.jobs) == 0 {
			continue
		}
		in.sup.add(u)
		for _, j := range u.jobs {
			if j.kind != jobTopic {
				continue
			}
			if err := in.startRelay(j, relay); err != nil {
				in.errorf("topic trigger of %s: %v", rec.ID(), err)
			}
			relay++
		}
	}
	in.sup.startJobs()
}

// unitFor makes the unit of an installed module from its manifest's [triggers] and restart
// (registry validated both at install: a line that does not parse here is skipped).
func unitFor(m *registry.Manifest) *unit {
	u := &unit{name: m.Name, restart: m.Restart}
	add := func(j *job) {
		j.unit = u
		u.jobs = append(u.jobs, j)
	}
	t := m.Triggers
	if t.Boot {
		add(&job{kind: jobBoot, trigger: "boot"})
	}
	for _, line := range t.Schedule {
		if sc, err := registry.ParseSchedule(line); err == nil {
			add(&job{kind: jobSchedule, trigger: line, sched: sc})
		}
	}
	if t.Once != "" {
		once, err := registry.ParseOnce(t.Once)
		var delay time.Duration
		if err == nil && t.Delay != "" {
			delay, err = registry.ParseDelay(t.Delay)
		}
		if err == nil {
			add(&job{kind: jobTask, trigger: taskTrigger(once, delay, t.Repeat), once: once, delay: delay, repeat: t.Repeat})
		}
	}
	if len(t.Topics) > 0 {
		add(&job{kind: jobTopic, trigger: "topics " + fmt.Sprint(t.Topics), topics: t.Topics})
	}
	return u
}

// startUnit spawns a process of u: the newest installed version of its module, under its
// identity, as every process starts.
func (in *Instance) startUnit(u *unit, by string) (proc, error) {
	m, err := in.Load(u.module())
	if err != nil {
		return nil, err
	}
	p, err := in.Spawn(m, kernel.SpawnOptions{Name: u.module(), UI: true}, by)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// killUnit ends a process the supervisor no longer wants (stopped while it started).
func (in *Instance) killUnit(p proc) { in.k.Kill(p.PID(), false) }

// unitLog puts a supervisor line (a restart, a crash loop) into the module's log and on the
// instance's stderr.
func (in *Instance) unitLog(pid bus.PID, line string) {
	in.logs.add(pid, admin.LogLine{Time: time.Now(), Stream: "log", Level: "warn", Text: line})
	in.errorf("pid %d: %s", pid, line)
}

// StartModule starts the installed module name under the instance's care (the panel's
// Start): its manifest's restart policy applies. It fails when a process of it that the
// instance supervises already runs.
func (in *Instance) StartModule(name string) (*kernel.Process, error) {
	rec, err := in.reg.Best(name, "")
	if err != nil {
		return nil, err
	}
	man, err := in.reg.Manifest(rec)
	if err != nil {
		return nil, err
	}
	if man.Kind == registry.KindLibrary || man.Kind == registry.KindDriver {
		return nil, fmt.Errorf("%s is a %s: it is not started as a process", name, man.Kind)
	}
	p, err := in.sup.startNow(in.sup.unitOf(name, man.Restart), "user (panel: Start)")
	if err != nil {
		return nil, err
	}
	return p.(*kernel.Process), nil
}
