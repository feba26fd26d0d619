package audio

import (
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/wasm4"
)

// TestVoiceLive: against a private PulseAudio daemon, a voice connects on its first tone,
// is fed at the server's pace (half a second of samples sent within seconds, no
// underruns while the machine keeps up), and Close ends its stream.
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
}
