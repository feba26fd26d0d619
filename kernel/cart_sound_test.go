package kernel

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/wasm4"
)

// fakeSound records what the kernel hands its voices; every tone is refused with why.
type fakeSound struct {
	why    string
	mu     sync.Mutex
	voices []*fakeVoice
}

type fakeVoice struct {
	s      *fakeSound
	owner  SurfaceOwner
	tones  []wasm4.ToneArgs
	closed int
}

func (s *fakeSound) Voice(owner SurfaceOwner, log func(int, string)) Voice {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := &fakeVoice{s: s, owner: owner}
	s.voices = append(s.voices, v)
	log(1, "voice made")
	return v
}

func (v *fakeVoice) Tone(t wasm4.ToneArgs) string {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	v.tones = append(v.tones, t)
	return v.s.why
}

func (v *fakeVoice) Close() { v.s.mu.Lock(); v.closed++; v.s.mu.Unlock() }

const toneCart = `
  (func (export "start")
    (local $i i32)
    (loop $l
      (call $tone (i32.add (i32.const 200) (local.get $i)) (i32.const 5) (i32.const 100) (i32.const 2))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 12)))))
  (func (export "update") (call $ready))`

// TestCartSound: a cart's tones go to one voice of Config.Sound, made at the first tone with
// the cart's name and closed once when the cart ends; a played tone is traced as it is, a
// refused one with the reason, and counted either way.
func TestCartSound(t *testing.T) {
	for _, why := range []string{"", "muted"} {
		s := &fakeSound{why: why}
		r := &cartRig{d: newFrameDisplay(), logs: &logSink{}}
		r.k = newKernel(t, Config{AllowAll: true, Display: r.d, Log: r.logs.log, Sound: s})
		p := r.runUntilReady(t, loadCart(t, r.k, "snd", toneCart), SpawnOptions{})
		r.k.Kill(p.PID(), false)
		if in := wait(t, p, 5*time.Second); in.State != Exited || in.ExitCode != 0 {
			t.Fatalf("%q: %v %d %q, want exited 0", why, in.State, in.ExitCode, in.Reason)
		}
		s.mu.Lock()
		if len(s.voices) != 1 || s.voices[0].owner.Name != "snd" || len(s.voices[0].tones) != 12 || s.voices[0].closed != 1 {
			t.Errorf("%q: voices %+v, want one for snd with 12 tones, closed once", why, s.voices)
		} else if f := s.voices[0].tones[11].Freq1; f != 211 {
			t.Errorf("%q: last tone at %v Hz, want 211", why, f)
		}
		s.mu.Unlock()
		st, _ := p.CartStats()
		logs := r.logs.String()
		switch why {
		case "":
			if st.Tones != 12 || st.Sounded != 12 || !strings.Contains(logs, "snd: tone triangle 200 Hz, ADSR 0/0/5/0 frames, volume 100%\n") ||
				!strings.Contains(logs, "snd: played 12 tones, 12 through the audio output") || !strings.Contains(logs, "snd: voice made") {
				t.Errorf("played: stats %+v, log:\n%s", st, logs)
			}
		default:
			if st.Tones != 12 || st.Sounded != 0 || !strings.Contains(logs, "snd: tone triangle 200 Hz, ADSR 0/0/5/0 frames, volume 100% (muted: counted)") ||
				!strings.Contains(logs, "snd: played 12 tones (no audio output: counted)") {
				t.Errorf("muted: stats %+v, log:\n%s", st, logs)
			}
		}
	}
}
