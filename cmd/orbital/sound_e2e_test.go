package main

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// toneCartWAT plays one tone at start: 660 Hz on the triangle channel, sustained 255 frames
// (4.25 s) at full volume, centred.
const toneCartWAT = `(module
  (import "env" "memory" (memory 1 1))
  (import "env" "tone" (func $tone (param i32 i32 i32 i32)))
  (func (export "start")
    (call $tone (i32.const 660) (i32.const 255) (i32.const 100) (i32.const 2)))
  (func (export "update")))`

// TestRunCartSound: `orbital run` on a cart that plays a tone, against a private PulseAudio
// daemon found through XDG_RUNTIME_DIR as libpulse finds it: the null sink's monitor records
// sound, in both channels, at the tone's frequency. With --mute nothing is played and the
// trace says so.
func TestRunCartSound(t *testing.T) {
	t0 := time.Now()
	pa := testenv.StartPulseAudio(t)
	t.Logf("pulseaudio up in %v", time.Since(t0))
	home := testenv.Home(t)
	cart := writeWAT(t, "tone.wasm", toneCartWAT)
	rec := pa.Record(t)
	env := append(pa.Env(), "ORBITAL_MUTE=")
	_, errOut, code := orbitalRun(t, env, "run", "--home", home, "--headless", "--frames", "90", cart)
	t.Logf("orbital run done at %v", time.Since(t0))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "audio: playing through unix:"+pa.Runtime) || strings.Contains(errOut, "counted)") {
		t.Errorf("stderr %q: want the tone played through the daemon", errOut)
	}
	// The stream ends with the run; what the monitor got by then is in the recording.
	var s []int16
	testenv.Eventually(t, func() bool { s = rec.Samples(); return sounding(s) > 0.5*44100 }, 10*time.Second,
		"half a second of sound in the recording; orbital said:\n%s", errOut)
	left, right := channel(s, 0), channel(s, 1)
	for i, ch := range [][]float64{left, right} {
		f, n := frequency(ch)
		t.Logf("channel %d: %.1f Hz over %.2f s (%.2f s loud, %.2f s recorded)", i, f, float64(n)/44100, sounding(s)/44100, float64(len(s))/2/44100)
		if math.Abs(f-660) > 660*0.02 || n < 44100/2 {
			t.Errorf("channel %d: %.1f Hz over %d samples, want 660 Hz +- 2%% over half a second at least", i, f, n)
		}
	}

	_, errOut, code = orbitalRun(t, env, "run", "--home", home, "--headless", "--frames", "5", "--mute", cart)
	if code != 0 || !strings.Contains(errOut, "(muted: counted)") || strings.Contains(errOut, "audio: playing") {
		t.Errorf("--mute: exit %d, stderr %q", code, errOut)
	}
}

// sounding is how many stereo frames of s are louder than a quiet threshold.
func sounding(s []int16) float64 {
	n := 0
	for i := 0; i+1 < len(s); i += 2 {
		if abs16(s[i]) > 1000 || abs16(s[i+1]) > 1000 {
			n++
		}
	}
	return float64(n)
}

func abs16(x int16) int {
	if x < 0 {
		return -int(x)
	}
	return int(x)
}

func channel(s []int16, c int) []float64 {
	out := make([]float64, 0, len(s)/2)
	for i := c; i < len(s); i += 2 {
		out = append(out, float64(s[i]))
	}
	return out
}

// frequency measures the dominant frequency of the loud parts of ch from the intervals
// between its rising zero crossings (with hysteresis, so noise near zero does not count):
// the mean of the intervals within 1.5x of the median, so a gap in the sound (an underrun
// on a loaded machine, the start and end) does not bend the figure. n is how many samples
// those intervals spanned.
func frequency(ch []float64) (hz float64, n int) {
	const hi, lo = 1000, -1000
	var ivs []int
	last, armed := -1, false
	for i, x := range ch {
		switch {
		case x < lo:
			armed = true
		case x > hi && armed:
			armed = false
			if last >= 0 {
				ivs = append(ivs, i-last)
			}
			last = i
		}
	}
	if len(ivs) == 0 {
		return 0, 0
	}
	sorted := slices.Clone(ivs)
	slices.Sort(sorted)
	med := float64(sorted[len(sorted)/2])
	count := 0
	for _, iv := range ivs {
		if float64(iv) < 1.5*med {
			n += iv
			count++
		}
	}
	return float64(count) * 44100 / float64(n), n
}
