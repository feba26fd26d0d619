package system

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// A job is one trigger of a unit: boot, a schedule line, a task (once, delay, repeat) or a
// topic. Schedules and tasks are timed here with the standard library's timers on the local
// clock (robfig/cron only parses the lines: its own runner cannot say "skipped"), so tests
// drive them on a fake clock (testing/synctest).

type jobKind int

const (
	jobBoot jobKind = iota
	jobSchedule
	jobTask
	jobTopic
)

type job struct {
	unit    *unit
	kind    jobKind
	trigger string // as the jobs view shows it: "boot", "@every 1s", "topic sensor.>"

	sched  cron.Schedule // jobSchedule
	once   time.Time     // jobTask: the first run
	delay  time.Duration // jobTask: between runs
	repeat int           // jobTask: runs after the first
	topics []string      // jobTopic

	// Guarded by supervisor.mu.
	runs, skips int
	lastRun     time.Time
	nextRun     time.Time // zero: no further run (a task done, boot, topics)
	lastExit    string
}

// next is the first due time of j after now (zero: none).
func (j *job) next(now time.Time) time.Time {
	switch j.kind {
	case jobSchedule:
		return j.sched.Next(now)
	case jobTask:
		for i := 0; i <= j.repeat; i++ {
			if t := j.once.Add(time.Duration(i) * j.delay); t.After(now) {
				return t
			}
		}
	}
	return time.Time{}
}

// taskTrigger names a task for the jobs view.
func taskTrigger(once time.Time, delay time.Duration, repeat int) string {
	s := "once " + once.Format("2006-01-02T15:04")
	if repeat > 0 {
		s += fmt.Sprintf(", then %d more every %v", repeat, delay)
	}
	return s
}

// timed runs a schedule or task job until the supervisor closes: it sleeps until the next due
// time and fires the job then. A due time that passed while the previous run was still going
// is a skip (fire counts it); due times that passed while no instance ran are not made up.
func (s *supervisor) timed(j *job) {
	defer s.wg.Done()
	now := time.Now()
	for {
		due := j.next(now)
		s.mu.Lock()
		j.nextRun = due
		s.mu.Unlock()
		if due.IsZero() {
			return
		}
		t := time.NewTimer(time.Until(due))
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		s.fire(j)
		if now = time.Now(); now.Before(due) {
			now = due
		}
	}
}

// startJobs starts the timers of every unit's schedules and tasks and fires the boot jobs.
func (s *supervisor) startJobs() {
	s.mu.Lock()
	units := s.sortedUnitsLocked()
	s.mu.Unlock()
	for _, u := range units {
		for _, j := range u.jobs {
			switch j.kind {
			case jobBoot:
				s.fire(j)
			case jobSchedule, jobTask:
				s.wg.Add(1)
				go s.timed(j)
			}
		}
	}
}
