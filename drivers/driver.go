package drivers

import (
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/orbital/orbital/bus"
)

// Info is a snapshot of one driver: what `orbital drivers`, `orbital ps` and the admin panel show.
type Info struct {
	Name, Version, Device string
	Digest, Path          string
	PID                   bus.PID // bus address, kept across restarts
	OSPID                 int     // the current OS process, 0 when none
	State                 State
	Reason                string // why it stopped or last failed
	Restart               string // restart policy
	Restarts              int    // restarts since Start
	Started               time.Time
	Isolation             []string   // what the sandbox applied (see doc.go)
	SocketIn, SocketOut   uint64     // bytes the current process sent to / received from the kernel
	Usage                 []UsageRow // per-process usage the driver reports (protocol v2), by pid
}

func (s State) done() bool { return s == Exited || s == Crashed || s == Failed }

// Done reports whether the state is final (no process and none coming).
func (s State) Done() bool { return s.done() }

// Driver is one supervised driver: its current process and its restart history.
type Driver struct {
	m    *Manager
	spec Spec
	pid  bus.PID

	mu      sync.Mutex
	cur     *instance
	info    Info
	stopped bool
	stopCh  chan struct{}
	done    chan struct{}
}

// PID is the driver's bus address.
func (d *Driver) PID() bus.PID { return d.pid }

// Done is closed when the driver ended for good (stopped, or no restart left).
func (d *Driver) Done() <-chan struct{} { return d.done }

// Info is the driver's current row.
func (d *Driver) Info() Info {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := d.info
	i.Isolation = slices.Clone(i.Isolation)
	if d.cur == nil {
		return i
	}
	i.SocketIn, i.SocketOut = d.cur.conn.Bytes()
	i.Usage = d.cur.Usage()
	switch st := d.cur.State(); {
	case !st.done():
		i.State = st
		i.OSPID = d.cur.cmd.Process.Pid
		if st == Stopping {
			i.Reason = d.cur.Reason()
		}
	case i.State == Running: // ended; the supervisor has not recorded it yet
		i.State, i.Reason = st, d.cur.Reason()
	}
	return i
}

// Stop asks the driver to stop (no restart follows) and waits until its process is gone.
func (d *Driver) Stop() {
	d.mu.Lock()
	if !d.stopped {
		d.stopped = true
		close(d.stopCh)
	}
	in := d.cur
	d.mu.Unlock()
	if in != nil {
		in.stop("stopped on request", Exited)
	}
	<-d.done
}

func (d *Driver) attach(in *instance) {
	d.mu.Lock()
	d.cur = in
	d.info.Started = in.started
	d.info.Isolation = in.iso
	d.info.Reason = ""
	d.info.State = Running
	stopped := d.stopped
	d.mu.Unlock()
	if stopped {
		in.stop("stopped on request", Exited)
	}
}

// stableAfter is how long an instance must run for its failure to start a new series of
// restarts (MaxRestarts counts consecutive quick failures, not failures over a lifetime).
const stableAfter = time.Minute

// supervise waits for each instance to end and restarts it as the policy says.
func (d *Driver) supervise(in *instance) {
	defer close(d.done)
	backoff := d.spec.Restart.Backoff
	state, reason := Running, ""
	total := 0
	for restarts := 0; ; {
		if in != nil {
			<-in.done
			state, reason = in.State(), in.Reason()
			if time.Since(in.started) >= stableAfter {
				// it ran well for a while: this failure starts a new series
				restarts, backoff = 0, d.spec.Restart.Backoff
			}
		}
		d.setFinal(state, reason)
		d.mu.Lock()
		stopped := d.stopped
		d.mu.Unlock()
		if stopped || state != Crashed || d.spec.Restart.Policy != RestartOnFailure {
			return
		}
		if restarts >= d.spec.Restart.MaxRestarts {
			d.setFinal(Failed, "gave up after "+strconv.Itoa(restarts)+" restarts; last: "+reason)
			return
		}
		d.setFinal(Backoff, reason)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-d.stopCh:
			t.Stop()
			d.setFinal(Exited, "stopped on request (was waiting to restart after: "+reason+")")
			return
		}
		backoff = min(2*backoff, d.spec.Restart.MaxBackoff)
		restarts++
		total++
		d.mu.Lock()
		d.info.Restarts = total
		d.mu.Unlock()
		next, err := d.m.launch(d.spec, d.pid)
		if errors.Is(err, ErrDigest) {
			d.setFinal(Failed, err.Error()) // a tampered binary is never retried
			return
		}
		if err != nil {
			d.m.logf(d.spec.Name, 3, "restart %d failed: %v", restarts, err)
			in, state, reason = nil, Crashed, "restart failed: "+err.Error()
			continue
		}
		d.m.logf(d.spec.Name, 2, "restarted (restart %d) after: %s", total, reason)
		d.attach(next)
		in = next
	}
}

func (d *Driver) setFinal(s State, reason string) {
	d.mu.Lock()
	d.info.State, d.info.Reason = s, reason
	d.mu.Unlock()
}
