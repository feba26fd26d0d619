package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ControlServer answers `orbital ps` and `orbital kill` on a unix socket, one JSON request and
// one JSON answer per line.
type ControlServer struct {
	ctl  Controller
	ln   net.Listener
	path string
	wg   sync.WaitGroup
	once sync.Once
}

type controlRequest struct {
	Op  string `json:"op"` // ps, stop, kill, restart, logs
	PID uint32 `json:"pid,omitempty"`
	N   int    `json:"n,omitempty"`
}

type controlReply struct {
	Error string    `json:"error,omitempty"`
	Procs []Proc    `json:"procs,omitempty"`
	Lines []LogLine `json:"lines,omitempty"`
	Now   time.Time `json:"now"`
}

// ListenControl creates the socket at path (mode 0600, its directory 0700), replacing a stale
// one left by a crashed instance, and serves it until Close.
func ListenControl(path string, ctl Controller) (*ControlServer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: another Orbital instance is running with this home", path)
	}
	os.Remove(path) // stale socket of an instance that died
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	s := &ControlServer{ctl: NewSampler(ctl), ln: ln, path: path}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *ControlServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.serve(c)
		}()
	}
}

func (s *ControlServer) serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	sc := bufio.NewScanner(c)
	enc := json.NewEncoder(c)
	for sc.Scan() {
		var req controlRequest
		rep := controlReply{Now: time.Now()}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			rep.Error = "bad request: " + err.Error()
		} else {
			s.handle(req, &rep)
		}
		if enc.Encode(rep) != nil {
			return
		}
	}
}

func (s *ControlServer) handle(req controlRequest, rep *controlReply) {
	var err error
	switch req.Op {
	case "ps":
		rep.Procs = s.ctl.Processes()
	case "stop":
		err = s.ctl.Stop(req.PID)
	case "kill":
		err = s.ctl.Kill(req.PID)
	case "restart":
		err = s.ctl.Restart(req.PID)
	case "logs":
		rep.Lines, err = s.ctl.Logs(req.PID, req.N)
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	if err != nil {
		rep.Error = err.Error()
	}
}

// Close stops serving, waits for open connections to finish and removes the socket. Closing
// twice is harmless.
func (s *ControlServer) Close() error {
	s.once.Do(func() {
		s.ln.Close()
		s.wg.Wait()
		os.Remove(s.path)
	})
	return nil
}

// ControlClient talks to a running instance's control socket.
type ControlClient struct{ Path string }

// ErrNotRunning means no Orbital instance listens on the socket.
var ErrNotRunning = errors.New("no running Orbital instance")

func (c ControlClient) call(ctx context.Context, req controlRequest) (controlReply, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.Path)
	if err != nil {
		return controlReply{}, fmt.Errorf("%w (no control socket at %s; start `orbital` or `orbital run` first)", ErrNotRunning, c.Path)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return controlReply{}, err
	}
	var rep controlReply
	if err := json.NewDecoder(conn).Decode(&rep); err != nil {
		return controlReply{}, fmt.Errorf("control socket %s: %w", c.Path, err)
	}
	if rep.Error != "" {
		return rep, errors.New(rep.Error)
	}
	return rep, nil
}

// Processes asks the instance for its process table.
func (c ControlClient) Processes(ctx context.Context) ([]Proc, time.Time, error) {
	rep, err := c.call(ctx, controlRequest{Op: "ps"})
	return rep.Procs, rep.Now, err
}

// Do runs a stop, kill or restart on pid.
func (c ControlClient) Do(ctx context.Context, op string, pid uint32) error {
	_, err := c.call(ctx, controlRequest{Op: op, PID: pid})
	return err
}

// Logs fetches up to n log lines of pid.
func (c ControlClient) Logs(ctx context.Context, pid uint32, n int) ([]LogLine, error) {
	rep, err := c.call(ctx, controlRequest{Op: "logs", PID: pid, N: n})
	return rep.Lines, err
}
