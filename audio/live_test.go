package audio

import (
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/wasm4"
)

// TestVoiceLive: against a private PulseAudio daemon, a voice connects on its first tone,
// is fed at the server's pace (half a second of samples sent within seconds), and Close ends
// its stream. A voice notices a hung daemon (no requests for the stall time) and a crashed
// one: it is down, the output's gate closes, and its tones are refused at once.
func TestVoiceLive(t *testing.T) {
	pa := testenv.StartPulseAudio(t)
	for _, e := range pa.Env() {
		k, v, _ := strings.Cut(e, "=")
		t.Setenv(k, v)
	}
	o := New(Config{})
	var l logs
	v := o.Voice("live", l.log)
	if why := v.Tone(wasm4.DecodeTone(660, 60, 100, wasm4.ToneTriangle)); why != "" {
		t.Fatalf("tone: %q", why)
	}
	testenv.Eventually(t, func() bool { return v.Stats().Rendered > wasm4.SampleRate/2 }, 10*time.Second, "half a second rendered; log:\n%s", &l)
	if s := v.Stats(); !s.Playing || s.Queued != 1 || s.Dropped != 0 {
		t.Errorf("stats %+v", s)
	}
	v.Close()
	if s := v.Stats(); s.Playing {
		t.Errorf("playing after Close: %+v", s)
	}
	if log := l.String(); !strings.Contains(log, "playing through unix:"+pa.Runtime) || !strings.Contains(log, "1 tones played") {
		t.Errorf("log %q", log)
	}
	if s := o.Stats(); s.Dials != 1 || s.Failures != 0 {
		t.Errorf("output stats %+v", s)
	}

	// A hung server: the stream gets no requests; the next tone after the stall time finds
	// it lost, and the output's gate closes.
	hung := New(Config{stall: 300 * time.Millisecond})
	var l3 logs
	h := hung.Voice("hung", l3.log)
	h.Tone(wasm4.DecodeTone(440, 255, 100, wasm4.TonePulse1))
	testenv.Eventually(t, func() bool { return h.Stats().Rendered > 0 }, 10*time.Second, "the hung voice playing; log:\n%s", &l3)
	pa.Pause()
	testenv.Eventually(t, func() bool { return h.Tone(beep) == NoOutput }, 10*time.Second, "a tone refused by the hung voice")
	pa.Resume()
	if s := hung.Stats(); s.Failures != 1 || !strings.Contains(l3.String(), "asked for no samples in") {
		t.Errorf("hung: %+v, log %q", s, &l3)
	}
	h.Close()

	// A crash: the connection ends, with EOF (noticed by the reader at once) or a reset
	// (which ends the client's reader silently: noticed by the next tone after the stall
	// time). Either way the voice goes down and the gate closes.
	crash := New(Config{stall: 300 * time.Millisecond})
	var l2 logs
	w := crash.Voice("crash", l2.log)
	w.Tone(wasm4.DecodeTone(440, 255, 100, wasm4.TonePulse1))
	testenv.Eventually(t, func() bool { return w.Stats().Rendered > 0 }, 10*time.Second, "the second voice playing; log:\n%s", &l2)
	pa.Kill()
	testenv.Eventually(t, func() bool {
		return w.Tone(beep) == NoOutput && strings.Contains(l2.String(), "lost the sound server")
	}, 10*time.Second, "the voice to notice the crash; log:\n%s", &l2)
	if s := crash.Stats(); s.Failures != 1 || w.Stats().Playing {
		t.Errorf("after the crash: %+v, %+v", s, w.Stats())
	}
	w.Close()
}
