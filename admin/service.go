package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/orbital/orbital/bus"
)

// Topics of the kernel's introspection service. Requests carry JSON payloads ({"pid": N},
// {"pid": N, "n": 100}, {"n": 50}) and are answered with JSON; an error answer is
// {"error": "..."}. They are checked against the requester's namespace like any other bus
// request, so a module needs a `request = ["sys.ps"]` grant to list processes.
const (
	TopicPS      = "sys.ps"
	TopicStats   = "sys.stats"
	TopicKill    = "sys.kill"
	TopicStop    = "sys.stop"
	TopicRestart = "sys.restart"
	TopicLogs    = "sys.logs"
	TopicAudit   = "sys.audit"
	// TopicReload ({"pid": N} or {"name": "clock", "version": "2.0.0"}) reloads a module in
	// place (reload.go); it is answered when the reload is final, a few seconds later, or at
	// once with "wait": false (the outcome then shows in the row's "reload" of sys.ps).
	TopicReload = "sys.reload"
	// The instance's jobs and installed modules, and Start ({"name": "clock"}), when its
	// Controller is a Scheduler.
	TopicJobs      = "sys.jobs"
	TopicInstalled = "sys.installed"
	TopicStart     = "sys.start"
)

// ServiceConfig configures the bus service.
type ServiceConfig struct {
	Bus *bus.Bus
	// PID is the service's address on the bus; the kernel's own pid 0 by default.
	PID bus.PID
	// Audit returns the newest n audit records (nil: sys.audit answers with an error).
	Audit func(n int) (any, error)
}

// Service answers the sys.* requests on the bus from a Controller.
type Service struct {
	cfg   ServiceConfig
	ctl   Controller
	inbox *bus.Inbox
	stop  context.CancelFunc
	wg    sync.WaitGroup
	once  sync.Once
}

// StartService attaches the service to the bus, subscribes to the sys.* topics and answers
// requests on its own goroutine until Close.
func StartService(cfg ServiceConfig, ctl Controller) (*Service, error) {
	in, err := cfg.Bus.Attach(cfg.PID, bus.InboxLimits{})
	if err != nil {
		return nil, fmt.Errorf("admin service: %w", err)
	}
	for _, t := range []string{TopicPS, TopicStats, TopicKill, TopicStop, TopicRestart, TopicLogs, TopicAudit, TopicReload, TopicJobs, TopicInstalled, TopicStart} {
		if _, err := cfg.Bus.Subscribe(cfg.PID, t, bus.Reliable); err != nil {
			cfg.Bus.Detach(cfg.PID)
			return nil, fmt.Errorf("admin service: subscribe %s: %w", t, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{cfg: cfg, ctl: NewSampler(ctl), inbox: in, stop: cancel}
	s.wg.Add(1)
	go s.loop(ctx)
	return s, nil
}

func (s *Service) loop(ctx context.Context) {
	defer s.wg.Done()
	for {
		m, err := s.inbox.Recv(ctx)
		if err != nil {
			return
		}
		if m.Kind != bus.KindRequest {
			continue
		}
		if m.Topic == TopicReload { // takes seconds: answered on its own goroutine
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.reply(m, s.answerReload(ctx, m))
			}()
			continue
		}
		s.reply(m, s.answer(m))
	}
}

func (s *Service) reply(m bus.Message, ans any) {
	payload, err := json.Marshal(ans)
	if err != nil {
		payload = []byte(`{"error":"admin service: encode answer"}`)
	}
	// The requester may have gone or timed out meanwhile; nothing else to do then.
	s.cfg.Bus.Reply(bus.Message{From: s.cfg.PID, Corr: m.Corr, Payload: payload})
}

type serviceRequest struct {
	PID     *uint32 `json:"pid"`
	N       int     `json:"n"`
	Name    string  `json:"name"`
	Version string  `json:"version"`
	Wait    *bool   `json:"wait"` // sys.reload: false answers at once (the outcome shows in sys.ps)
}

func (s *Service) answer(m bus.Message) any {
	var req serviceRequest
	if len(m.Payload) > 0 {
		if err := json.Unmarshal(m.Payload, &req); err != nil {
			return errAnswer(fmt.Errorf("%s: payload must be JSON like {\"pid\": 3}: %v", m.Topic, err))
		}
	}
	pid := func() (uint32, error) {
		if req.PID == nil {
			return 0, fmt.Errorf("%s: name the process: {\"pid\": N}", m.Topic)
		}
		return *req.PID, nil
	}
	act := func(f func(uint32) error) any {
		p, err := pid()
		if err == nil {
			err = f(p)
		}
		if err != nil {
			return errAnswer(err)
		}
		return map[string]any{"ok": true, "pid": p}
	}
	switch m.Topic {
	case TopicPS:
		return map[string]any{"procs": s.ctl.Processes()}
	case TopicStats:
		st := s.cfg.Bus.Stats()
		return map[string]any{"processes": len(s.ctl.Processes()), "bus": st}
	case TopicKill:
		return act(s.ctl.Kill)
	case TopicStop:
		return act(s.ctl.Stop)
	case TopicRestart:
		return act(s.ctl.Restart)
	case TopicLogs:
		p, err := pid()
		if err != nil {
			return errAnswer(err)
		}
		lines, err := s.ctl.Logs(p, req.N)
		if err != nil {
			return errAnswer(err)
		}
		return map[string]any{"pid": p, "lines": lines}
	case TopicAudit:
		if s.cfg.Audit == nil {
			return errAnswer(errors.New("sys.audit: this instance keeps no audit log"))
		}
		n := req.N
		if n <= 0 {
			n = 100
		}
		recs, err := s.cfg.Audit(n)
		if err != nil {
			return errAnswer(err)
		}
		return map[string]any{"records": recs}
	case TopicJobs, TopicInstalled, TopicStart:
		return s.answerScheduler(m.Topic, req)
	}
	return errAnswer(fmt.Errorf("unknown topic %q", m.Topic))
}

func errAnswer(err error) map[string]string { return map[string]string{"error": err.Error()} }

// Close stops answering and detaches from the bus; closing twice is harmless.
func (s *Service) Close() {
	s.once.Do(func() {
		s.stop()
		s.wg.Wait()
		s.cfg.Bus.Detach(s.cfg.PID)
	})
}
