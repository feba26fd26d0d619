package shell

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/orbital/orbital/compositor"
)

// Config configures the shell.
type Config struct {
	Scene  *compositor.Scene
	Host   Host
	Home   string // Orbital home: the URL bar history is kept in Home/shell/history
	Width  int    // window size in screen coordinates; default 1280x800
	Height int
	Open   []string // opened at start, as if typed into the bar
	// Suggestions are module names offered as buttons on the empty desktop.
	Suggestions []string
	// Screenshot, when set, makes the shell write the window's pixels to this PNG file after
	// Frames composed frames, then exit.
	Screenshot string
	Frames     int
	Log        io.Writer // diagnostics; default stderr
}

// Shell is the desktop window. New prepares it; Run opens the window and runs the event loop
// on the calling goroutine, which must be locked to the main OS thread.
type Shell struct {
	cfg   Config
	scene *compositor.Scene
	host  Host
	log   io.Writer

	// Set up by Run, used on the main thread only.
	win      *glfw.Window
	dev      *compositor.GL
	pres     presenter // how frames reach the screen (present.go)
	exposed  bool      // the window was exposed: the next frame shows every pixel
	fonts    *Fonts
	bar      *URLBar
	desk     *Desktop
	chrome   chromeSurfaces
	input    inputState
	w, h     int     // desktop size, desktop pixels
	fbW, fbH int     // framebuffer size, device pixels
	scale    float64 // framebuffer pixels per desktop pixel
	pixRatio float64 // framebuffer pixels per GLFW screen coordinate (cursor positions)
	frames   int
	strip    []stripItem
	lastMin  int64 // minute shown by the task strip's clock

	ctx     context.Context
	cancel  context.CancelFunc
	jobs    []*openJob        // opens in flight, oldest first; the bar shows the newest
	sources map[uint32]string // what was typed to open each process, shown when it has focus

	callMu sync.Mutex
	calls  []func() // queued by Do from other goroutines

	dirty atomic.Bool // the scene changed since the last composition

	prompts []*pendingPrompt // permission prompts waiting, the first one on show (main thread)
	comp    completeState    // the completion list under the bar (complete.go; main thread)
	done    chan struct{}    // closed when Run returns (Prompt stops waiting)

	wakeMu sync.Mutex // guards alive: PostEmptyEvent is only legal between Init and Terminate
	alive  bool
}

// openJob is one open in flight: its progress is written by the opening goroutine and read by
// the main loop.
type openJob struct {
	text        string
	cancel      context.CancelFunc
	done, total atomic.Int64
}

// New returns a shell for cfg; it opens nothing until Run.
func New(cfg Config) (*Shell, error) {
	if cfg.Scene == nil || cfg.Host == nil {
		return nil, errors.New("shell: Config needs a Scene and a Host")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		cfg.Width, cfg.Height = 1280, 800
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	if cfg.Screenshot != "" && cfg.Frames <= 0 {
		cfg.Frames = 1
	}
	return &Shell{cfg: cfg, scene: cfg.Scene, host: cfg.Host, log: cfg.Log, sources: map[uint32]string{}, done: make(chan struct{}), comp: completeState{sel: -1, hover: -1}}, nil
}

// Do runs fn on the main thread at the next turn of the event loop. It is safe from any
// goroutine and never blocks; it wakes the loop with glfw.PostEmptyEvent.
func (s *Shell) Do(fn func()) {
	s.callMu.Lock()
	s.calls = append(s.calls, fn)
	s.callMu.Unlock()
	s.wake()
}

// wake makes the main loop's WaitEvents return. Safe from any goroutine, and a no-op
// while no window exists (before Run, after the shell closed).
func (s *Shell) wake() {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	if !s.alive {
		return
	}
	defer func() {
		// go-gl/glfw reports GLFW errors by panicking in whichever goroutine calls next; a
		// wake-up is best effort and must never take the process down.
		if r := recover(); r != nil {
			fmt.Fprintf(s.log, "orbital shell: wake: %v\n", r)
		}
	}()
	glfw.PostEmptyEvent()
}

func (s *Shell) setAlive(v bool) {
	s.wakeMu.Lock()
	s.alive = v
	s.wakeMu.Unlock()
}

func (s *Shell) runCalls() {
	s.callMu.Lock()
	calls := s.calls
	s.calls = nil
	s.callMu.Unlock()
	for _, fn := range calls {
		fn()
	}
}

// Run opens the window and runs the shell until the window is closed, ctx ends, or the
// screenshot was written. It must be called on the main OS thread (runtime.LockOSThread in
// the command's init), because GLFW and the GL context live there.
func (s *Shell) Run(ctx context.Context) error {
	s.ctx, s.cancel = context.WithCancel(ctx)
	defer s.cancel()
	defer close(s.done)
	if err := s.openRetry(); err != nil {
		return err
	}
	defer s.close()

	// Wake the loop whenever a surface changes (a module presented a frame) or ctx ends.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-s.ctx.Done():
				s.wake()
				return
			case <-s.scene.Changed():
				s.dirty.Store(true)
				s.wake()
			}
		}
	}()
	defer wg.Wait()
	defer s.cancel()

	for _, t := range s.cfg.Open {
		s.submit(t)
	}
	return s.loop()
}

// frameInterval caps composition at about 60 frames a second.
const frameInterval = time.Second / 60

func (s *Shell) loop() error {
	last := time.Time{}
	for !s.win.ShouldClose() {
		if s.ctx.Err() != nil {
			return nil
		}
		s.runCalls()
		s.pollJob()
		s.syncWindows()
		if err := s.paintChrome(); err != nil {
			return err
		}
		shooting := s.cfg.Screenshot != ""
		if s.dirty.Swap(false) || shooting {
			if wait := frameInterval - time.Since(last); wait > 0 {
				// Too soon after the last frame: come back when it is time.
				s.dirty.Store(true)
				glfw.WaitEventsTimeout(wait.Seconds())
				continue
			}
			last = time.Now()
			done, err := s.compose()
			if err != nil || done {
				return err
			}
		}
		timeout := untilNextMinute(time.Now()).Seconds() // the task strip's clock
		if s.bar.Busy() {
			timeout = 1.0 / 30 // animate the progress line
		}
		if shooting || s.dirty.Load() {
			timeout = frameInterval.Seconds()
		}
		glfw.WaitEventsTimeout(timeout)
	}
	return nil
}

// untilNextMinute is how long the loop may sleep before the task strip's clock changes.
func untilNextMinute(now time.Time) time.Duration {
	return now.Truncate(time.Minute).Add(time.Minute).Sub(now) + 5*time.Millisecond
}

// compose draws the scene to the window and shows it. With --screenshot it counts frames and,
// at the last one, reads the pixels back and writes the PNG; done is then true.
func (s *Shell) compose() (done bool, err error) {
	var dst *image.RGBA
	if len(s.jobs) == 0 {
		s.frames++ // --frames counts from when the --open modules have started
	}
	shoot := s.cfg.Screenshot != "" && s.frames >= s.cfg.Frames
	if shoot {
		dst = image.NewRGBA(image.Rect(0, 0, s.fbW, s.fbH))
	}
	s.dev.SetTargetAge(s.pres.targetAge())
	if err := s.dev.Compose(s.scene, dst); err != nil {
		return false, fmt.Errorf("shell: compose: %w", err)
	}
	s.pres.present(s.win, s.fbW, s.fbH, s.dev.TargetDamage(), s.exposed)
	s.exposed = false
	if !shoot {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(s.cfg.Screenshot), 0o755); err != nil {
		return true, fmt.Errorf("shell: screenshot: %w", err)
	}
	if err := compositor.WritePNG(dst, s.cfg.Screenshot); err != nil {
		return true, fmt.Errorf("shell: screenshot: %w", err)
	}
	return true, nil
}

// submit opens what the user typed: off the main thread, with progress in the bar. Several
// opens may be in flight (--open given more than once); the bar shows the newest.
func (s *Shell) submit(text string) {
	s.hideCompletions()
	text = trimSpace(text)
	if text == "" {
		return
	}
	if err := s.bar.History.Add(text); err != nil {
		fmt.Fprintf(s.log, "orbital shell: %v\n", err)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	job := &openJob{text: text, cancel: cancel}
	job.total.Store(-1)
	s.jobs = append(s.jobs, job)
	s.bar.SetError("")
	s.bar.SetBusy(true, "Opening "+shortName(text))
	s.dirty.Store(true)
	s.bar.shown = s.bar.Field.Text()
	go func() {
		pid, err := s.host.Open(ctx, text, func(done, total int64) {
			job.done.Store(done)
			job.total.Store(total)
			s.wake()
		})
		cancel()
		s.Do(func() { s.finish(job, text, pid, err) })
	}()
}

// finish runs on the main thread when an open ended.
func (s *Shell) finish(job *openJob, text string, pid uint32, err error) {
	s.jobs = slices.DeleteFunc(s.jobs, func(j *openJob) bool { return j == job })
	if n := len(s.jobs); n > 0 {
		s.bar.SetBusy(false, "")
		s.bar.SetBusy(true, "Opening "+shortName(s.jobs[n-1].text))
	} else {
		s.bar.SetBusy(false, "")
	}
	switch {
	case err == nil:
		s.sources[pid] = text
		if w := s.desk.Focused(); w != nil && w.PID == pid && !s.bar.Edited() {
			s.bar.Show(text)
		}
	case errors.Is(err, context.Canceled):
		s.bar.SetError("Cancelled: " + text)
	default:
		s.bar.SetError(oneLine(err.Error()))
		fmt.Fprintf(s.log, "orbital shell: open %q: %v\n", text, err)
	}
	s.dirty.Store(true)
}

// cancelOpen stops the opens in flight (Escape while busy).
func (s *Shell) cancelOpen() bool {
	for _, j := range s.jobs {
		j.cancel()
	}
	return len(s.jobs) > 0
}

// pollJob copies the download progress into the bar.
func (s *Shell) pollJob() {
	if len(s.jobs) == 0 {
		return
	}
	job := s.jobs[len(s.jobs)-1]
	d, t := job.done.Load(), job.total.Load()
	switch {
	case t > 0 && d >= t:
		// Downloaded; compiling and starting take a moment more.
		s.bar.busyMsg = "Starting " + shortName(job.text)
		d, t = 0, -1
	case d > 0:
		s.bar.busyMsg = "Downloading"
	}
	s.bar.SetProgress(d, t)
}

// syncWindows adopts new module surfaces and drops closed ones; a new window takes the
// keyboard from the bar, as a page does in a browser after Enter.
func (s *Shell) syncWindows() {
	added, removed := s.desk.Sync()
	if len(added) > 0 && (!s.bar.Focused || !s.bar.Edited()) {
		// The new window takes the keyboard, unless the user is typing something else.
		s.setBarFocus(false)
		if s.input.focusSent != nil && s.input.focusSent != s.desk.Focused() {
			s.post(s.input.focusSent, Event{Type: EvBlur})
		}
		s.sendFocus()
	}
	if len(removed) > 0 {
		for _, w := range removed {
			if s.input.focusSent == w {
				s.input.focusSent = nil
			}
			if s.input.capture == w {
				s.input.capture = nil
			}
			if s.input.drag.win == w {
				s.input.drag = dragState{}
			}
		}
		if !s.bar.Focused {
			s.sendFocus()
		}
	}
}

// ShowNotice puts msg on the line under the bar in neutral colours (a confirmation, such as
// where a policy file was saved). Safe from any goroutine.
func (s *Shell) ShowNotice(msg string) {
	fmt.Fprintf(s.log, "orbital shell: %s\n", oneLine(msg))
	s.Do(func() {
		s.bar.SetError(oneLine(msg))
		s.bar.notice = true
		s.dirty.Store(true)
	})
}

// ShowError puts reason on the error line. Safe from any goroutine (a process that crashed
// after it started reports here).
func (s *Shell) ShowError(reason string) {
	fmt.Fprintf(s.log, "orbital shell: %s\n", oneLine(reason))
	s.Do(func() {
		s.bar.SetError(oneLine(reason))
		s.dirty.Store(true)
	})
}
