package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/orbital/orbital/internal/netx"
	"golang.org/x/sys/unix"
)

// ControlServer answers `orbital ps` and `orbital kill` on a unix socket, one JSON request and
// one JSON answer per line.
type ControlServer struct {
	ctl  Controller
	ln   net.Listener
	path string
	dir  *socketDir // the socket's checked directory, open until Close
	uid  int        // the only user served
	wg   sync.WaitGroup
	once sync.Once

	limits controlLimits
}

// controlLimits are how long a control connection may last: ordinary ops (and a client that
// sends nothing) are cut after op; the few ops that need longer (longOp) get long.
type controlLimits struct{ op, long time.Duration }

// A control connection is cut 30 s after it opened (an `orbital call` waits at most
// MaxCallTimeout within it); a storage snapshot for `orbital backup` may take SnapshotTimeout.
var defaultControlLimits = controlLimits{op: 30 * time.Second, long: SnapshotTimeout}

// longOp reports whether req may keep its connection for the long limit: the storage
// snapshot, which copies every module's storage and grows with it.
func longOp(req controlRequest) bool {
	return req.Op == "kv" && req.KV != nil && req.KV.Op == "snapshot"
}

type controlRequest struct {
	Op     string         `json:"op"` // ps, stop, kill, restart, logs, reload, jobs, installed, start, kv, call
	PID    uint32         `json:"pid,omitempty"`
	N      int            `json:"n,omitempty"`
	Reload *ReloadRequest `json:"reload,omitempty"`
	Name   string         `json:"name,omitempty"` // start
	KV     *KVRequest     `json:"kv,omitempty"`
	Spawn  *SpawnRequest  `json:"spawn,omitempty"` // cluster.go
	Call   *CallRequest   `json:"call,omitempty"`
}

type controlReply struct {
	Error   string         `json:"error,omitempty"`
	Code    string         `json:"code,omitempty"` // a machine-readable kind of Error (reload.go)
	Procs   []Proc         `json:"procs,omitempty"`
	Lines   []LogLine      `json:"lines,omitempty"`
	Reloads []ReloadResult `json:"reloads,omitempty"`
	Jobs    []Job          `json:"jobs,omitempty"`
	Modules []Module       `json:"modules,omitempty"`
	PID     uint32         `json:"pid,omitempty"`
	KV      *KVReply       `json:"kv,omitempty"`
	Nodes   []Node         `json:"nodes,omitempty"`
	Node    string         `json:"node,omitempty"` // where a spawn landed
	Call    *CallReply     `json:"call,omitempty"`
	Now     time.Time      `json:"now"`
}

// ListenControl creates the socket at path (see ControlSocketPath: mode 0600 in a directory
// only the user may enter, made 0700 if it is the user's and looser), replacing a stale one
// left by a crashed instance, and serves it until Close. Connections from other users are
// closed unanswered; at most maxControlConns are served at once, and an accept error (out of
// file descriptors) is retried with back-off, never the end of the socket.
func ListenControl(path string, ctl Controller) (*ControlServer, error) {
	return listenControl(path, ctl, defaultControlLimits)
}

func listenControl(path string, ctl Controller, limits controlLimits) (*ControlServer, error) {
	uid := os.Getuid()
	d, err := openSocketDir(path, uid, true)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if c, err := net.DialTimeout("unix", d.addr(), 200*time.Millisecond); err == nil {
		c.Close()
		d.close()
		return nil, fmt.Errorf("control socket %s: another Orbital instance is running with this home", path)
	}
	unix.Unlinkat(d.fd, d.name, 0) // stale socket of an instance that died
	ln, err := net.Listen("unix", d.addr())
	if err != nil {
		d.close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false) // Close unlinks through d, which is checked
	if err := unix.Fchmodat(d.fd, d.name, 0o600, 0); err != nil {
		ln.Close()
		d.close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "orbital: control socket: "+format+"\n", args...)
	}
	s := &ControlServer{ctl: NewSampler(ctl), ln: netx.Steady(ln, maxControlConns, logf), path: path, dir: d, uid: uid, limits: limits}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// maxControlConns bounds the control connections served at once; more wait in the backlog.
const maxControlConns = 64

func (s *ControlServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept() // retries everything but Close (netx.Steady)
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			if uid, err := peerUID(netx.Unwrap(c)); err != nil || uid != s.uid {
				return // another user: no answer at all
			}
			s.serve(c)
		}()
	}
}

// limit is the server's limits (the defaults for one made without ListenControl: a test's).
func (s *ControlServer) limit() controlLimits {
	if s.limits.op <= 0 || s.limits.long <= 0 {
		return defaultControlLimits
	}
	return s.limits
}

func (s *ControlServer) serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(s.limit().op))
	sc := bufio.NewScanner(c)
	enc := json.NewEncoder(c)
	for sc.Scan() {
		var req controlRequest
		rep := controlReply{Now: time.Now()}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			rep.Error = "bad request: " + err.Error()
		} else {
			if longOp(req) { // from now: the op, then its answer
				c.SetDeadline(time.Now().Add(s.limit().long))
			}
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
	case "reload":
		err = s.handleReload(req, rep)
	case "jobs", "installed", "start":
		err = handleScheduler(s.ctl, req, rep)
	case "nodes", "cps", "spawn":
		err = handleCluster(s.ctl, req, rep)
	case "kv":
		timeout := 10 * time.Second
		if longOp(req) {
			timeout = s.limit().long
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err = s.handleKV(ctx, req, rep)
		cancel()
	case "call":
		err = s.handleCall(req, rep) // call.go
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
		unix.Unlinkat(s.dir.fd, s.dir.name, 0)
		s.dir.close()
	})
	return nil
}

// ControlClient talks to a running instance's control socket. It checks the socket's
// directory and the server's uid before it sends anything.
type ControlClient struct {
	Path string
	uid  *int // the server's expected uid; nil: this process's (tests set another)
}

// ErrNotRunning means no Orbital instance listens on the socket.
var ErrNotRunning = errors.New("no running Orbital instance")

// ErrBusy means an instance listens on the socket but its backlog stayed full.
var ErrBusy = errors.New("the instance is not accepting connections (its backlog is full)")

func (c ControlClient) call(ctx context.Context, req controlRequest) (controlReply, error) {
	uid := os.Getuid()
	if c.uid != nil {
		uid = *c.uid
	}
	conn, err := dialControl(ctx, c.Path, uid)
	if errors.Is(err, ErrNotPrivate) {
		return controlReply{}, fmt.Errorf("control socket: %w", err)
	}
	if errors.Is(err, ErrBusy) {
		return controlReply{}, fmt.Errorf("control socket %s: %w; try again in a moment", c.Path, err)
	}
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
