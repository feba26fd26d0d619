package audio

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/wasm4"
)

// clock is a settable clock for the retry gate.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) log(level int, msg string) { l.mu.Lock(); l.lines = append(l.lines, msg); l.mu.Unlock() }
func (l *logs) String() string            { l.mu.Lock(); defer l.mu.Unlock(); return strings.Join(l.lines, "\n") }

var beep = wasm4.DecodeTone(440, 10, 100, wasm4.TonePulse1)

// TestNoServer: with no server at the socket, the first tone dials once (in the background)
// and fails; tones are then refused as NoOutput without dialling again, on that voice and on
// every other one, until Retry has passed; then one tone dials again. Nothing is an error.
func TestNoServer(t *testing.T) {
	clk := &clock{now: time.Unix(1000, 0)}
	sock := filepath.Join(t.TempDir(), "pulse", "native")
	o := New(Config{Server: "unix:" + sock, Retry: time.Minute, now: clk.Now})
	var l logs
	v := o.Voice("beeper", l.log)
	if why := v.Tone(beep); why != "" {
		t.Fatalf("first tone: %q, want it queued while the voice connects", why)
	}
	// The voice logs the failure last, after closing the gate and going down.
	testenv.Eventually(t, func() bool { return strings.Contains(l.String(), "no sound server at unix:"+sock) }, 10*time.Second,
		"the failed connection logged")
	if s := v.Stats(); s.Queued != 1 || s.Unplayed != 1 || s.Rendered != 0 {
		t.Errorf("stats %+v: want the tone queued while connecting counted unplayed", s)
	}
	others := []*Voice{v, o.Voice("a", nil), o.Voice("b", nil)}
	for i := 0; i < 1000; i++ {
		for _, w := range others {
			if why := w.Tone(beep); why != NoOutput {
				t.Fatalf("tone %d: %q, want %q", i, why, NoOutput)
			}
		}
	}
	if s := o.Stats(); s.Dials != 1 {
		t.Fatalf("%d dials after 3000 tones, want 1 (a server that is missing is not dialled per tone)", s.Dials)
	}
	clk.add(time.Minute)
	if why := others[1].Tone(beep); why != "" {
		t.Fatalf("after Retry: %q, want another try", why)
	}
	testenv.Eventually(t, func() bool { return o.Stats().Failures == 2 }, 10*time.Second, "the second failed connection")
	if s := o.Stats(); s.Dials != 2 {
		t.Errorf("%d dials, want 2", s.Dials)
	}
	for _, w := range others {
		w.Close()
		if why := w.Tone(beep); why != NoOutput {
			t.Errorf("closed voice: %q", why)
		}
	}
	if strings.Contains(l.String(), "tones played") {
		t.Errorf("a voice that never played logged a summary: %q", l.String())
	}
	if n := strings.Count(l.String(), "no sound server"); n != 1 {
		t.Errorf("voice logged the failure %d times: %q", n, l.String())
	}
}

// TestMuted: a muted output contacts nothing and says so.
func TestMuted(t *testing.T) {
	o := New(Config{Mute: true, Server: "unix:" + filepath.Join(t.TempDir(), "none")})
	v := o.Voice("m", nil)
	for i := 0; i < 10; i++ {
		if why := v.Tone(beep); why != Muted {
			t.Fatalf("tone: %q, want %q", why, Muted)
		}
	}
	v.Close()
	if s := o.Stats(); s.Dials != 0 {
		t.Errorf("%d dials while muted", s.Dials)
	}
}

// TestServerString: the server is found as libpulse finds it.
func TestServerString(t *testing.T) {
	t.Setenv("PULSE_SERVER", "")
	t.Setenv("PULSE_RUNTIME_PATH", "")
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/42")
	if s := Server(); s != "unix:/run/user/42/pulse/native" {
		t.Errorf("XDG_RUNTIME_DIR: %q", s)
	}
	t.Setenv("PULSE_SERVER", "tcp:host:4713")
	if s := Server(); s != "tcp:host:4713" {
		t.Errorf("PULSE_SERVER: %q", s)
	}
}

// TestToneSpacing: tones start in the samples where their spacing puts them: one queued
// 10 ms after the last fill starts 441 frames into the next one, one queued before it at the
// start, and one queued later than the samples reach at their end.
func TestToneSpacing(t *testing.T) {
	clk := &clock{now: time.Unix(1000, 0)}
	v := New(Config{now: clk.Now}).Voice("spacing", nil)
	v.state = playing
	v.apu = wasm4.NewAPU()
	t0 := clk.Now().UnixNano()
	v.fillAt = t0
	v.lastReq.Store(t0) // asked for samples just now: no stall
	onset := func(s []int16, ch int) int {
		for i := ch; i < len(s); i += 2 {
			if s[i] != 0 {
				return i / 2
			}
		}
		return -1
	}
	left := wasm4.DecodeTone(440, 60, 100, wasm4.TonePulse1|wasm4.TonePanLeft)
	right := wasm4.DecodeTone(440, 60, 100, wasm4.TonePulse2|wasm4.TonePanRight)
	clk.add(10 * time.Millisecond)
	v.Tone(left)
	s := make([]int16, 2*882) // 20 ms
	v.fill(s, t0+int64(20*time.Millisecond))
	if got := onset(s, 0); got < 440 || got > 443 {
		t.Errorf("tone queued 10 ms in starts at frame %d, want 441", got)
	}
	if got := onset(s, 1); got != -1 {
		t.Errorf("right channel sounds at %d before its tone", got)
	}
	clk.add(time.Second) // later than the next fill's samples reach: at their end
	v.Tone(right)
	s2 := make([]int16, 2*882)
	v.fill(s2, t0+int64(40*time.Millisecond))
	if got := onset(s2, 1); got != -1 {
		t.Errorf("a tone queued after the samples' end sounds at %d in them", got)
	}
	v.fill(s2, t0+int64(60*time.Millisecond))
	if got := onset(s2, 1); got != 0 {
		t.Errorf("the late tone starts at %d of the next samples, want 0", got)
	}
}
