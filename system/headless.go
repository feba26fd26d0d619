package system

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/compositor"
	"github.com/orbital/orbital/kernel"
)

// HeadlessOptions drive RunHeadless.
type HeadlessOptions struct {
	Width, Height int
	Frames        int           // stop the processes after this many composed frames (0: no limit)
	Timeout       time.Duration // stop them after this long (0: no limit)
	Screenshot    string        // write the last composed frame here (PNG)
	// Signals: the first asks the processes to quit, the second kills them.
	Signals <-chan os.Signal
}

// RunHeadless composes the instance's scene with the software device on every change (at
// most 60 Hz) while procs run, until they have all ended, the frame budget is spent, the
// timeout passes or a signal arrives. It returns the pids it stopped (those still running when
// the budget, the timeout or a signal ended the run; a process that had ended by itself is not
// among them) and writes the screenshot, if asked.
func (in *Instance) RunHeadless(procs []*kernel.Process, o HeadlessOptions) (stopped map[bus.PID]bool, err error) {
	r := &headless{in: in, dev: compositor.NewSoftware(o.Width, o.Height), procs: procs, stoppedPIDs: map[bus.PID]bool{}}
	r.loop(o)
	if o.Screenshot != "" {
		if err := r.screenshot(o.Screenshot); err != nil {
			return r.stoppedPIDs, fmt.Errorf("screenshot: %w", err)
		}
	}
	return r.stoppedPIDs, nil
}

type headless struct {
	in      *Instance
	dev     *compositor.Software
	procs   []*kernel.Process
	frames  int  // composed so far
	stopped bool // we asked the processes to stop
	// stoppedPIDs: the processes still running when we first asked them to stop.
	stoppedPIDs map[bus.PID]bool
}

const frameInterval = time.Second / 60

func (r *headless) loop(o HeadlessOptions) {
	allDone := make(chan struct{})
	go func() {
		for _, p := range r.procs {
			<-p.Done()
		}
		close(allDone)
	}()
	var expired <-chan time.Time
	if o.Timeout > 0 {
		t := time.NewTimer(o.Timeout)
		defer t.Stop()
		expired = t.C
	}
	var last time.Time
	for {
		select {
		case <-expired:
			r.stop(false)
		case <-allDone:
			// No final composition: an ended process's surfaces are gone, and the screenshot
			// should show the last frame they were on screen.
			return
		case <-o.Signals:
			r.stop(r.stopped)
		case <-r.in.scene.Changed():
			if wait := frameInterval - time.Since(last); wait > 0 {
				time.Sleep(wait) // pace composition at 60 Hz; changes meanwhile fold into this frame
			}
			last = time.Now()
			if r.stopped {
				continue // keep the last frame of the budget as the screenshot
			}
			if err := r.dev.Compose(r.in.scene, nil); err != nil {
				r.in.errorf("compose: %v", err)
			}
			r.frames++
			if o.Frames > 0 && r.frames >= o.Frames {
				r.stop(false)
			}
		}
	}
}

// stop asks every process to quit (force: kills them).
func (r *headless) stop(force bool) {
	if !r.stopped {
		for _, p := range r.procs {
			select {
			case <-p.Done():
			default:
				r.stoppedPIDs[p.PID()] = true
			}
		}
	}
	r.stopped = true
	for _, p := range r.procs {
		r.in.k.Kill(p.PID(), force)
	}
}

func (r *headless) screenshot(path string) error {
	if r.frames == 0 {
		r.dev.Compose(r.in.scene, nil)
	}
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("%s: directory %s does not exist", path, dir)
		}
	}
	return compositor.WritePNG(r.dev.Frame(), path)
}
