package drivers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers/wire"
)

// instance is one OS process of a driver, from exec to reaping. A Driver runs one instance at a
// time and starts a new one on restart.
type instance struct {
	m     *Manager
	spec  Spec
	pid   bus.PID
	cmd   *exec.Cmd
	conn  *wire.Conn
	inbox *bus.Inbox
	out   *tail
	iso   []string

	ctx     context.Context // ends when the instance starts stopping
	cancel  context.CancelFunc
	exited  chan struct{} // closed when the OS process has been reaped
	outDone chan struct{} // closed when the driver's output reached EOF
	hsDone  chan struct{} // closed when the handshake ended (and the loops, if any, started)
	done    chan struct{} // closed when everything is released
	wg      sync.WaitGroup

	proto    uint32       // the protocol version the driver picked (set by the handshake)
	peers    peerTable    // senders told to the driver (Peer frames, v2)
	lastSeen atomic.Int64 // bus.Now() of the last frame from the driver
	inHost   atomic.Int32 // > 0 while the reader is blocked in a bus call on the driver's behalf
	reqs     chan struct{}

	rmu     sync.Mutex
	regions map[uint32]uint32 // driver's region id -> bus handle

	umu       sync.Mutex
	usageRows []UsageRow // the driver's last Usage frame (v2)

	stopOnce sync.Once
	mu       sync.Mutex
	state    State
	reason   string
	started  time.Time
}

// launch verifies, execs and handshakes one driver process. On error nothing is left running.
func (m *Manager) launch(spec Spec, pid bus.PID) (*instance, error) {
	img, err := loadImage(spec.Path, spec.Digest)
	if err != nil {
		return nil, fmt.Errorf("driver %s: %w", spec.Name, err)
	}
	defer img.Close()
	conn, child, err := wire.Pair()
	if err != nil {
		return nil, err
	}
	defer child.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		conn.Close()
		return nil, err
	}
	in := &instance{m: m, spec: spec, pid: pid, conn: conn, out: newTail(20),
		exited: make(chan struct{}), outDone: make(chan struct{}), hsDone: make(chan struct{}), done: make(chan struct{}), reqs: make(chan struct{}, 16),
		regions: map[uint32]uint32{}, state: Starting}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	conn.WriteTimeout = m.cfg.WriteTimeout

	if err := in.exec(img, child, pw); err != nil {
		pw.Close()
		pr.Close()
		conn.Close()
		in.cancel()
		return nil, fmt.Errorf("driver %s: start %s: %w", spec.Name, spec.Path, err)
	}
	pw.Close()
	in.started = time.Now()
	in.wg.Add(1)
	go in.readOutput(pr)
	go in.wait()

	err = in.handshake()
	if err == nil {
		in.mu.Lock()
		if in.state == Starting { // it may already be stopping: it exited right after hello
			in.state = Running
		}
		in.mu.Unlock()
		in.wg.Add(3)
		go in.readLoop()
		go in.pump()
		go in.heartbeat()
	}
	close(in.hsDone) // shutdown waits for this before it detaches and waits for the loops
	if err != nil {
		in.stop(err.Error(), Crashed)
		<-in.done
		if out := in.out.String(); out != "" {
			err = fmt.Errorf("%w; driver output: %s", err, out)
		}
		return nil, err
	}
	return in, nil
}

// exec starts the trampoline (see sandbox_linux.go) on the manager's spawner thread.
func (in *instance) exec(img, child, out *os.File) error {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
		wire.EnvCookie + "=" + wire.CookieValue,
		wire.EnvProtocols + "=" + protocols(),
		wire.EnvFD + "=" + strconv.Itoa(socketFD),
		envTrampoline + "=1",
		envRlimits + "=" + rlimitEnv(in.spec.Limits),
	}
	if tz := os.Getenv("TZ"); tz != "" {
		env = append(env, "TZ="+tz)
	}
	if in.spec.Display {
		for _, k := range []string{"DISPLAY", "XAUTHORITY"} {
			if v := os.Getenv(k); v != "" {
				env = append(env, k+"="+v)
			}
		}
	}
	mk := func(netns bool) *exec.Cmd {
		return &exec.Cmd{
			Path: "/proc/self/exe", Args: append([]string{in.spec.Name}, in.spec.Args...), Env: env, Dir: "/",
			Stdout: out, Stderr: out, ExtraFiles: []*os.File{child, img},
			SysProcAttr: sysProcAttr(netns),
		}
	}
	netns := !in.spec.Network && in.m.netnsUsable()
	cmd := mk(netns)
	err := in.m.spawner.start(cmd)
	if err != nil && netns {
		// User namespaces are off on this system (sysctl, container): run without, and say so.
		in.m.netnsFailed(err)
		netns = false
		cmd = mk(false)
		err = in.m.spawner.start(cmd)
	}
	if err != nil {
		return err
	}
	in.cmd = cmd
	in.iso = []string{"env", "fds", "pgid", "pdeathsig", "no-new-privs", "rlimits"}
	if netns {
		in.iso = append(in.iso, "netns")
	}
	return nil
}

// protocols lists the versions the host accepts, as EnvProtocols carries them ("1,2").
func protocols() string {
	s := ""
	for v := wire.MinVersion; v <= wire.Version; v++ {
		if s != "" {
			s += ","
		}
		s += strconv.Itoa(v)
	}
	return s
}

func (in *instance) handshake() error {
	in.conn.SetReadDeadline(time.Now().Add(in.m.cfg.HandshakeTimeout))
	defer in.conn.SetReadDeadline(time.Time{})
	f, err := in.conn.Read()
	if err != nil {
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			return fmt.Errorf("driver %s: %w: no hello within %v (is it an Orbital driver built with driverkit?)", in.spec.Name, ErrHandshake, in.m.cfg.HandshakeTimeout)
		case wire.IsClosed(err):
			<-in.exited
			return fmt.Errorf("driver %s: %w: it exited before the handshake (%s)", in.spec.Name, ErrHandshake, exitText(in.cmd.ProcessState))
		}
		return fmt.Errorf("driver %s: %w: %v", in.spec.Name, ErrHandshake, err)
	}
	defer f.CloseFDs()
	var h wire.Hello
	switch {
	case f.Type != wire.THello:
		err = fmt.Errorf("first frame is %v, want hello", f.Type)
	case h.Decode(f.Body) != nil:
		err = h.Decode(f.Body)
	case h.Cookie != wire.CookieValue:
		err = fmt.Errorf("wrong magic cookie %q", h.Cookie)
	case h.Protocol < wire.MinVersion || h.Protocol > wire.Version:
		err = fmt.Errorf("protocol version %d, the kernel speaks %s", h.Protocol, protocols())
	}
	if err != nil {
		rej := wire.Text{Text: err.Error()}
		in.conn.Write(wire.TReject, rej.Encode())
		return fmt.Errorf("driver %s: %w: %v", in.spec.Name, ErrHandshake, err)
	}
	in.inbox, err = in.m.cfg.Bus.Attach(in.pid, bus.InboxLimits{})
	if err != nil {
		return fmt.Errorf("driver %s: attach to the bus as %v: %w", in.spec.Name, in.pid, err)
	}
	in.proto = h.Protocol
	w := wire.Welcome{Protocol: h.Protocol, PID: uint32(in.pid), HeartbeatMS: uint32(in.m.cfg.Heartbeat / time.Millisecond), Args: in.spec.Args}
	if err := in.conn.Write(wire.TWelcome, w.Encode()); err != nil {
		return fmt.Errorf("driver %s: %w: %v", in.spec.Name, ErrHandshake, err)
	}
	in.lastSeen.Store(bus.Now())
	in.m.logf(in.spec.Name, 1, "driver %s %s started: os pid %d, bus %v, isolation %v", h.Name, h.Version, in.cmd.Process.Pid, in.pid, in.iso)
	return nil
}

// wait reaps the process and reports an exit nobody asked for.
func (in *instance) wait() {
	in.cmd.Wait()
	close(in.exited)
	ps := in.cmd.ProcessState
	if ps.Success() {
		in.stop("exited on its own with status 0", Exited)
		return
	}
	t := time.NewTimer(500 * time.Millisecond) // let the last words (a panic) reach the tail
	select {
	case <-in.outDone:
	case <-t.C:
	}
	t.Stop()
	reason := "crashed: " + exitText(ps)
	if o := in.out.String(); o != "" {
		reason += "; last output: " + o
	}
	in.stop(reason, Crashed)
}

func exitText(ps *os.ProcessState) string {
	if ps == nil {
		return "not started"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by signal " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ps.ExitCode())
}

// stop ends the instance: the first call fixes the reason and final state, later calls do
// nothing. It returns at once; done is closed when the process is reaped and all is released.
func (in *instance) stop(reason string, final State) {
	in.stopOnce.Do(func() {
		in.mu.Lock()
		in.reason = reason
		in.state = Stopping
		in.mu.Unlock()
		go in.shutdown(final)
	})
}

// shutdown escalates: a Stop frame, then SIGTERM, then SIGKILL to the process group, then wait.
func (in *instance) shutdown(final State) {
	in.cancel()
	steps := []struct {
		grace time.Duration
		do    func()
	}{
		{in.m.cfg.StopGrace, func() {
			t := wire.Text{Text: in.Reason()}
			in.conn.Write(wire.TStop, t.Encode())
		}},
		{in.m.cfg.TermGrace, func() { killGroup(in.cmd.Process.Pid, syscall.SIGTERM) }},
		{-1, func() { killGroup(in.cmd.Process.Pid, syscall.SIGKILL) }},
	}
	for _, s := range steps {
		select {
		case <-in.exited:
		default:
			s.do()
			if s.grace < 0 {
				<-in.exited
			} else {
				t := time.NewTimer(s.grace)
				select {
				case <-in.exited:
				case <-t.C:
				}
				t.Stop()
			}
		}
	}
	killGroup(in.cmd.Process.Pid, syscall.SIGKILL) // anything the driver spawned; ESRCH is fine
	<-in.hsDone
	if in.inbox != nil {
		in.m.cfg.Bus.Detach(in.pid) // releases the driver's regions and subscriptions
	}
	in.conn.Close()
	in.wg.Wait()
	in.mu.Lock()
	in.state = final
	in.mu.Unlock()
	in.m.logf(in.spec.Name, 1, "driver %s stopped (%s): %s", in.spec.Name, final, in.Reason())
	close(in.done)
}

func (in *instance) setState(s State, reason string) {
	in.mu.Lock()
	in.state = s
	if reason != "" {
		in.reason = reason
	}
	in.mu.Unlock()
}

// Reason is why the instance stopped (empty while it runs).
func (in *instance) Reason() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.reason
}

func (in *instance) State() State {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.state
}

// heartbeat pings the driver and stops it when nothing came back for three intervals.
func (in *instance) heartbeat() {
	defer in.wg.Done()
	every := in.m.cfg.Heartbeat
	t := time.NewTicker(every)
	defer t.Stop()
	var n uint64
	for {
		select {
		case <-in.ctx.Done():
			return
		case <-t.C:
		}
		if in.inHost.Load() == 0 {
			if quiet := time.Duration(bus.Now() - in.lastSeen.Load()); quiet > 3*every {
				in.stop(fmt.Sprintf("hung: no answer to heartbeats for %v", quiet.Round(time.Millisecond)), Crashed)
				return
			}
		}
		if err := in.sweepPeers(); err != nil && in.ctx.Err() == nil {
			in.stop("hung: it does not read its socket: "+err.Error(), Crashed)
			return
		}
		n++
		p := wire.Seq{Seq: n}
		if err := in.conn.Write(wire.TPing, p.Encode()); err != nil && in.ctx.Err() == nil {
			in.stop("hung: it does not read its socket: "+err.Error(), Crashed)
			return
		}
	}
}
