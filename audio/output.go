package audio

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures an Output.
type Config struct {
	// Mute makes every voice silent: tones are counted and traced as "muted", and no sound
	// server is contacted.
	Mute bool
	// Server is a PulseAudio server string ("unix:/path", "/path", "tcp:host:port", several
	// separated by spaces, tried in order); "" finds the server as libpulse does (Server).
	Server string
	// Retry is how long after a failed connection no voice tries again (default 10 s).
	Retry time.Duration
	// Latency is the stream's target buffer: how far ahead of the speaker the APU renders
	// (default 50 ms, three frames).
	Latency time.Duration

	now   func() time.Time // tests: the clock of the retry gate and the stall check
	stall time.Duration    // tests: how long a playing stream may go without a request (default 5 s)
}

// DefaultRetry is Config.Retry's default.
const DefaultRetry = 10 * time.Second

// DefaultLatency is Config.Latency's default.
const DefaultLatency = 50 * time.Millisecond

// Output is the desktop's audio output: the sound server found once, the voices of the carts
// that play, and the gate that keeps a missing server from being dialled at every tone.
type Output struct {
	cfg    Config
	server string

	mu        sync.Mutex
	downUntil time.Time // no new connection before this (a connection failed)
	downErr   string

	dials, failures atomic.Int64
}

// New returns an Output. It contacts nothing: a voice connects on its cart's first tone.
func New(cfg Config) *Output {
	if cfg.Retry <= 0 {
		cfg.Retry = DefaultRetry
	}
	if cfg.Latency <= 0 {
		cfg.Latency = DefaultLatency
	}
	if cfg.stall <= 0 {
		cfg.stall = 5 * time.Second
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	s := cfg.Server
	if s == "" {
		s = Server()
	}
	return &Output{cfg: cfg, server: s}
}

// Server is the server string libpulse would use: $PULSE_SERVER when set, else the native
// socket in the user's runtime directory ($XDG_RUNTIME_DIR/pulse/native, or
// /run/user/UID/pulse/native without XDG_RUNTIME_DIR), which PipeWire's pipewire-pulse serves
// too.
func Server() string {
	if s := strings.TrimSpace(os.Getenv("PULSE_SERVER")); s != "" {
		return s
	}
	if rt := os.Getenv("PULSE_RUNTIME_PATH"); rt != "" {
		return "unix:" + rt + "/native"
	}
	rt := os.Getenv("XDG_RUNTIME_DIR")
	if rt == "" {
		rt = fmt.Sprintf("/run/user/%d", os.Getuid())
	}
	return "unix:" + rt + "/pulse/native"
}

// ServerString is the server this Output connects to.
func (o *Output) ServerString() string { return o.server }

// Muted reports whether the output is muted.
func (o *Output) Muted() bool { return o.cfg.Mute }

// Stats are an Output's counters.
type Stats struct {
	Dials    int64 // connections attempted
	Failures int64 // of which failed
}

// Stats returns the counters.
func (o *Output) Stats() Stats { return Stats{Dials: o.dials.Load(), Failures: o.failures.Load()} }

// mayDial reports whether a voice may connect now; when it may not, why is the last failure.
func (o *Output) mayDial() (ok bool, why string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cfg.now().Before(o.downUntil) {
		return false, o.downErr
	}
	return true, ""
}

// failed closes the gate for Retry after a failed or lost connection.
func (o *Output) failed(err error) {
	o.failures.Add(1)
	o.mu.Lock()
	o.downUntil = o.cfg.now().Add(o.cfg.Retry)
	o.downErr = err.Error()
	o.mu.Unlock()
}

// Voice returns the sound of one cart, named name (the stream's name in the desktop's mixer).
// log writes to the cart's log (level 0 debug .. 3 error); it is called from the voice's own
// goroutines. The voice contacts nothing until its first tone.
func (o *Output) Voice(name string, log func(level int, msg string)) *Voice {
	if log == nil {
		log = func(int, string) {}
	}
	return &Voice{o: o, name: name, log: log, tones: make(chan queued, toneQueue)}
}
