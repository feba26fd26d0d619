package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/orbital/orbital/bus"
)

// Reloader is a Controller that can move running modules to new code in place (hot reload,
// docs/design/reload.md). The panel's Reload action, `orbital reload` on the control socket
// and the bus service's sys.reload use it when the instance's Controller has it.
type Reloader interface {
	// Reload moves every running process of module req.Name to req.Version and returns once
	// each reload is final, one result per process. ErrModuleNotRunning: no process of the
	// module is running.
	Reload(ctx context.Context, req ReloadRequest) ([]ReloadResult, error)
}

// MaxReloadGrace is the longest grace period a reload through the control socket may ask
// for: the answer must come within the connection's deadline.
const MaxReloadGrace = 10 * time.Second

// ReloadRequest names what to reload.
type ReloadRequest struct {
	Name    string        `json:"name"`
	Version string        `json:"version,omitempty"` // empty: the newest installed
	Grace   time.Duration `json:"grace,omitempty"`   // 0: the instance's default (5 s)
}

// ReloadResult is what a reload did to one process.
type ReloadResult struct {
	PID     uint32 `json:"pid"`
	Outcome string `json:"outcome"` // reloaded, rolled back, ended, refused
	Text    string `json:"text"`    // one line: versions, pause, state, the reason
}

// ErrModuleNotRunning: a reload named a module no process of which is running.
var ErrModuleNotRunning = errors.New("module not running")

// ErrNoReload: the instance's Controller cannot reload modules.
var ErrNoReload = errors.New("this instance cannot reload modules")

// reloaderOf returns ctl's Reloader, looking through a Sampler.
func reloaderOf(ctl Controller) (Reloader, error) {
	if r, ok := capability[Reloader](ctl); ok {
		return r, nil
	}
	return nil, ErrNoReload
}

// reloadPID runs a reload of the module pid runs (the panel's rows are processes).
func reloadPID(ctx context.Context, ctl Controller, pid uint32) ([]ReloadResult, error) {
	r, err := reloaderOf(ctl)
	if err != nil {
		return nil, err
	}
	name, err := moduleOf(ctl, pid)
	if err != nil {
		return nil, err
	}
	return r.Reload(ctx, ReloadRequest{Name: name})
}

// moduleOf is the module name of process pid (not a driver's: drivers are not reloaded).
func moduleOf(ctl Controller, pid uint32) (string, error) {
	for _, p := range ctl.Processes() {
		if p.PID == pid && p.Kind != "driver" {
			return p.Name, nil
		}
	}
	return "", fmt.Errorf("%w: pid %d (drivers are not reloaded in place)", ErrNoProcess, pid)
}

// apiReload is POST .../api/reload {"pid": N}: reload the module of that row to its newest
// installed version.
func (s *Server) apiReload(w http.ResponseWriter, r *http.Request, pid uint32) {
	res, err := reloadPID(r.Context(), s.ctl, pid)
	if err != nil {
		writeError(w, statusOf(err), fmt.Errorf("reload pid %d: %w", pid, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "pid": pid, "reloads": res, "text": ReloadText(res)})
}

// ReloadText is the results as lines "pid N: TEXT".
func ReloadText(res []ReloadResult) string {
	var b strings.Builder
	for i, r := range res {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "pid %d: %s", r.PID, r.Text)
	}
	return b.String()
}

// Reload asks the instance to reload a module.
func (c ControlClient) Reload(ctx context.Context, req ReloadRequest) ([]ReloadResult, error) {
	rep, err := c.call(ctx, controlRequest{Op: "reload", Reload: &req})
	if rep.Code == codeModuleNotRunning {
		err = fmt.Errorf("%w: %w", ErrModuleNotRunning, err)
	}
	return rep.Reloads, err
}

// codeModuleNotRunning marks a control reply whose error is ErrModuleNotRunning.
const codeModuleNotRunning = "module_not_running"

// handleReload answers the control socket's reload op.
func (s *ControlServer) handleReload(req controlRequest, rep *controlReply) error {
	r, err := reloaderOf(s.ctl)
	if err != nil {
		return err
	}
	if req.Reload == nil || req.Reload.Name == "" {
		return errors.New("reload: name the module")
	}
	if req.Reload.Grace < 0 || req.Reload.Grace > MaxReloadGrace {
		return fmt.Errorf("reload: a grace period of %v is outside 0..%v", req.Reload.Grace, MaxReloadGrace)
	}
	// Within the connection's 30 s: a reload is final after its grace period and waits at
	// most 10 s for the process's safe point.
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	rep.Reloads, err = r.Reload(ctx, *req.Reload)
	if errors.Is(err, ErrModuleNotRunning) {
		rep.Code = codeModuleNotRunning
	}
	return err
}

// answerReload answers sys.reload: {"pid": N} reloads the module of that process to its
// newest version, {"name": ..., "version": ...} names them.
func (s *Service) answerReload(ctx context.Context, m bus.Message) any {
	var req serviceRequest
	if err := json.Unmarshal(m.Payload, &req); err != nil || (req.PID == nil && req.Name == "") {
		return errAnswer(fmt.Errorf(`%s: payload must be JSON like {"pid": 3} or {"name": "clock", "version": "2.0.0"}`, m.Topic))
	}
	r, err := reloaderOf(s.ctl)
	if err != nil {
		return errAnswer(err)
	}
	name := req.Name
	if req.PID != nil {
		if name, err = moduleOf(s.ctl, *req.PID); err != nil {
			return errAnswer(err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 25*time.Second)
	if req.Wait != nil && !*req.Wait {
		s.wg.Add(1)
		go func() { // bounded by ctx, which Close cancels
			defer s.wg.Done()
			defer cancel()
			r.Reload(ctx, ReloadRequest{Name: name, Version: req.Version})
		}()
		return map[string]any{"ok": true, "started": true, "name": name}
	}
	defer cancel()
	res, err := r.Reload(ctx, ReloadRequest{Name: name, Version: req.Version})
	if err != nil {
		return errAnswer(err)
	}
	return map[string]any{"ok": true, "reloads": res, "text": ReloadText(res)}
}
