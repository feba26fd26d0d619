package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"text/tabwriter"
	"time"
)

// Job is one trigger of a module (boot, a schedule line, a task, topics): what `orbital jobs`
// and the panel's jobs table show. Times are zero when there is none.
type Job struct {
	Module   string    `json:"module"`
	Trigger  string    `json:"trigger"`
	State    string    `json:"state"` // idle, starting, running, backoff, failed
	PID      uint32    `json:"pid,omitempty"`
	LastRun  time.Time `json:"last_run"`
	NextRun  time.Time `json:"next_run"`
	Runs     int       `json:"runs"`
	Skips    int       `json:"skips"` // due while the previous run was still going
	LastExit string    `json:"last_exit"`
	Restarts int       `json:"restarts"`
}

// Module is an installed module the panel can start.
type Module struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Kind        string `json:"kind"`
	Description string `json:"description,omitempty"`
	Running     bool   `json:"running"`
}

// Scheduler is what a Controller may offer beyond the process table: the jobs of the
// instance's triggers, the installed modules and a Start action for them. The panel's faces
// answer "not offered" when the Controller lacks it.
type Scheduler interface {
	Jobs() []Job
	Installed() []Module
	// Start starts the installed module name under the instance's care and returns its pid.
	Start(name string) (uint32, error)
}

// ErrNoScheduler is the answer of a panel whose Controller offers no jobs or Start.
var ErrNoScheduler = errors.New("this instance has no jobs or installed modules to offer")

// capability finds an optional capability T of ctl (Scheduler, Reloader), looking through the
// Sampler that wraps it.
func capability[T any](ctl Controller) (T, bool) {
	if s, ok := ctl.(*Sampler); ok {
		ctl = s.Controller
	}
	c, ok := ctl.(T)
	return c, ok
}

// schedulerOf finds ctl's Scheduler.
func schedulerOf(ctl Controller) (Scheduler, error) {
	if s, ok := capability[Scheduler](ctl); ok {
		return s, nil
	}
	return nil, ErrNoScheduler
}

// WriteJobs prints jobs as the table `orbital jobs` shows, by module then trigger.
func WriteJobs(w io.Writer, jobs []Job, now time.Time) error {
	sorted := append([]Job(nil), jobs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Module < sorted[j].Module })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tTRIGGER\tSTATE\tLAST RUN\tNEXT RUN\tRUNS\tSKIPS\tRESTARTS\tLAST EXIT")
	for _, j := range sorted {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", j.Module, j.Trigger, j.State, when(j.LastRun, now),
			when(j.NextRun, now), j.Runs, j.Skips, j.Restarts, dash(oneLine(j.LastExit)))
	}
	return tw.Flush()
}

// when shows t relative to now: "12s ago", "in 3m0s", "-" for none.
func when(t, now time.Time) string {
	switch {
	case t.IsZero():
		return "-"
	case t.After(now):
		return "in " + FormatDuration(t.Sub(now).Round(time.Second))
	}
	return FormatDuration(now.Sub(t).Round(time.Second)) + " ago"
}

// Jobs asks the instance for its jobs.
func (c ControlClient) Jobs(ctx context.Context) ([]Job, time.Time, error) {
	rep, err := c.call(ctx, controlRequest{Op: "jobs"})
	return rep.Jobs, rep.Now, err
}

// Installed asks the instance for the installed modules it can start.
func (c ControlClient) Installed(ctx context.Context) ([]Module, error) {
	rep, err := c.call(ctx, controlRequest{Op: "installed"})
	return rep.Modules, err
}

// Start starts the installed module name in the instance and returns its pid.
func (c ControlClient) Start(ctx context.Context, name string) (uint32, error) {
	rep, err := c.call(ctx, controlRequest{Op: "start", Name: name})
	return rep.PID, err
}

// handleScheduler answers the control socket's jobs, installed and start.
func handleScheduler(ctl Controller, req controlRequest, rep *controlReply) error {
	s, err := schedulerOf(ctl)
	if err != nil {
		return err
	}
	switch req.Op {
	case "jobs":
		rep.Jobs = s.Jobs()
	case "installed":
		rep.Modules = s.Installed()
	case "start":
		rep.PID, err = s.Start(req.Name)
	}
	return err
}

// answerScheduler answers sys.jobs, sys.installed and sys.start on the bus.
func (s *Service) answerScheduler(topic string, req serviceRequest) any {
	sc, err := schedulerOf(s.ctl)
	if err != nil {
		return errAnswer(err)
	}
	switch topic {
	case TopicJobs:
		return map[string]any{"now": time.Now(), "jobs": sc.Jobs()}
	case TopicInstalled:
		return map[string]any{"modules": sc.Installed()}
	}
	if req.Name == "" {
		return errAnswer(errors.New(`sys.start: name the module: {"name": "clock"}`))
	}
	pid, err := sc.Start(req.Name)
	if err != nil {
		return errAnswer(err)
	}
	return map[string]any{"ok": true, "pid": pid}
}

func (s *Server) apiJobs(w http.ResponseWriter, r *http.Request) {
	sc, err := schedulerOf(s.ctl)
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": s.now(), "jobs": sc.Jobs()})
}

func (s *Server) apiInstalled(w http.ResponseWriter, r *http.Request) {
	sc, err := schedulerOf(s.ctl)
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"modules": sc.Installed()})
}

// apiStart starts an installed module: POST {"name": "clock"}, with the CSRF header.
func (s *Server) apiStart(w http.ResponseWriter, r *http.Request) {
	if err := s.checkCSRF(r); err != nil {
		writeError(w, http.StatusForbidden, err)
		return
	}
	var body struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil || body.Name == "" {
		writeError(w, http.StatusBadRequest, errors.New(`body must be JSON like {"name": "clock"}`))
		return
	}
	sc, err := schedulerOf(s.ctl)
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	pid, err := sc.Start(body.Name)
	if err != nil {
		writeError(w, http.StatusConflict, fmt.Errorf("start %s: %w", body.Name, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "pid": pid})
}
