package wasm4

import (
	"fmt"
	"math"
)

// SampleRate is the rate of the APU's output, stereo 16-bit.
const SampleRate = 44100

// Tone flags.
const (
	TonePulse1   = 0
	TonePulse2   = 1
	ToneTriangle = 2
	ToneNoise    = 3
	ToneMode1    = 0 << 2 // pulse duty 1/8
	ToneMode2    = 1 << 2 // 1/4
	ToneMode3    = 2 << 2 // 1/2
	ToneMode4    = 3 << 2 // 3/4 (sounds as 1/4)
	TonePanLeft  = 1 << 4
	TonePanRight = 2 << 4
	ToneNoteMode = 1 << 6 // frequencies are MIDI notes (low byte) with a bend (high byte, 1/256)
)

const (
	maxVolume         = 0x1333 // about 15 % of full scale per pulse or noise channel
	maxVolumeTriangle = 0x2000
)

// ToneArgs are the decoded arguments of one tone call.
type ToneArgs struct {
	Channel                         int     // 0 pulse 1, 1 pulse 2, 2 triangle, 3 noise
	Freq1, Freq2                    float64 // Hz; Freq2 0: no slide
	Attack, Decay, Sustain, Release int     // frames (1/60 s)
	Volume, Peak                    int     // percent; Peak 0 means 100
	Mode, Pan                       int
}

var channelNames = [4]string{"pulse1", "pulse2", "triangle", "noise"}

// DecodeTone reads tone's packed arguments as the console does.
func DecodeTone(frequency, duration, volume, flags uint32) ToneArgs {
	t := ToneArgs{
		Channel: int(flags & 3), Mode: int(flags>>2) & 3, Pan: int(flags>>4) & 3,
		Sustain: int(duration & 0xff), Release: int(duration>>8) & 0xff,
		Decay: int(duration>>16) & 0xff, Attack: int(duration>>24) & 0xff,
		Volume: min(int(volume&0xff), 100), Peak: min(int(volume>>8)&0xff, 100),
	}
	if flags&ToneNoteMode != 0 {
		t.Freq1 = midiFreq(frequency&0xff, frequency>>8&0xff)
		if n := frequency >> 16 & 0xff; n != 0 {
			t.Freq2 = midiFreq(n, frequency>>24&0xff)
		}
	} else {
		t.Freq1, t.Freq2 = float64(frequency&0xffff), float64(frequency>>16&0xffff)
	}
	return t
}

func midiFreq(note, bend uint32) float64 {
	return 440 * math.Pow(2, (float64(note)+float64(bend)/256-69)/12)
}

// String describes the tone for the process log.
func (t ToneArgs) String() string {
	f := fmt.Sprintf("%.0f Hz", t.Freq1)
	if t.Freq2 > 0 {
		f = fmt.Sprintf("%.0f->%.0f Hz", t.Freq1, t.Freq2)
	}
	return fmt.Sprintf("tone %s %s, ADSR %d/%d/%d/%d frames, volume %d%%", channelNames[t.Channel], f,
		t.Attack, t.Decay, t.Sustain, t.Release, t.Volume)
}

// APU synthesizes the console's four channels (two pulse waves, a triangle, noise) with their
// envelopes, as the reference runtime's audio processor does. Tone starts a sound; Render
// writes the next samples. An APU is used by one goroutine.
type APU struct {
	ch   [4]channel
	time uint64 // samples rendered
}

type channel struct {
	freq1, freq2                           float64
	start, attack, decay, sustain, release uint64 // sample times
	sustainVol, peakVol                    float64
	phase, duty                            float64
	pan                                    int
	seed                                   uint16
	last                                   float64
}

// NewAPU returns a silent APU.
func NewAPU() *APU {
	a := &APU{}
	a.ch[ToneNoise].seed = 1
	return a
}

// Tone starts (or replaces) the sound on the tone's channel.
func (a *APU) Tone(t ToneArgs) {
	c := &a.ch[t.Channel]
	if a.time > c.release {
		c.phase = 0
		if t.Channel == ToneTriangle {
			c.phase = 0.25
		}
	}
	frames := func(n int) uint64 { return uint64(SampleRate * n / 60) }
	c.freq1, c.freq2 = t.Freq1, t.Freq2
	c.start = a.time
	c.attack = c.start + frames(t.Attack)
	c.decay = c.attack + frames(t.Decay)
	c.sustain = c.decay + frames(t.Sustain)
	c.release = c.sustain + frames(t.Release)
	maxv := float64(maxVolume)
	if t.Channel == ToneTriangle {
		maxv = maxVolumeTriangle
		if t.Release == 0 {
			c.release += SampleRate / 1000 // a 1 ms release, so a hard stop does not click
		}
	}
	c.sustainVol = maxv * float64(t.Volume) / 100
	c.peakVol = maxv
	if t.Peak != 0 {
		c.peakVol = maxv * float64(t.Peak) / 100
	}
	c.pan = t.Pan
	c.duty = [4]float64{0.125, 0.25, 0.5, 0.25}[t.Mode]
}

func ramp(v1, v2 float64, now, t1, t2 uint64) float64 {
	if t2 <= t1 {
		return v2
	}
	return v1 + float64(now-t1)/float64(t2-t1)*(v2-v1)
}

func (c *channel) volume(now uint64) float64 {
	switch {
	case now >= c.sustain:
		return ramp(c.sustainVol, 0, now, c.sustain, c.release)
	case now >= c.decay:
		return c.sustainVol
	case now >= c.attack:
		return ramp(c.peakVol, c.sustainVol, now, c.attack, c.decay)
	}
	return ramp(0, c.peakVol, now, c.start, c.attack)
}

func polyblep(phase, inc float64) float64 {
	switch {
	case phase < inc:
		t := phase / inc
		return t + t - t*t
	case phase > 1-inc:
		t := (phase - (1 - inc)) / inc
		return 1 - (t + t - t*t)
	}
	return 1
}

// Render writes len(out)/2 stereo frames (left, right) of 16-bit samples. While no channel
// sounds it only clears out (a cart's stream is fed silence between its tones).
func (a *APU) Render(out []int16) {
	if !a.Playing() {
		clear(out)
		a.time += uint64(len(out) / 2)
		return
	}
	for i := 0; i+1 < len(out); i, a.time = i+2, a.time+1 {
		var left, right float64
		for n := range a.ch {
			c := &a.ch[n]
			if a.time >= c.release {
				continue
			}
			freq := c.freq1
			if c.freq2 > 0 {
				freq = ramp(c.freq1, c.freq2, a.time, c.start, c.release)
			}
			vol := c.volume(a.time)
			var s float64
			switch n {
			case ToneNoise:
				c.phase += freq * freq / (1000000.0 / SampleRate * SampleRate)
				for c.phase > 0 {
					c.phase--
					c.seed ^= c.seed >> 7
					c.seed ^= c.seed << 9
					c.seed ^= c.seed >> 13
					c.last = float64(2*int(c.seed&1) - 1)
				}
				s = vol * c.last
			default:
				inc := freq / SampleRate
				if c.phase += inc; c.phase >= 1 {
					c.phase--
				}
				if n == ToneTriangle {
					s = vol * (2*math.Abs(2*c.phase-1) - 1)
				} else if c.phase < c.duty {
					s = vol * polyblep(c.phase/c.duty, inc/c.duty)
				} else {
					s = -vol * polyblep((c.phase-c.duty)/(1-c.duty), inc/(1-c.duty))
				}
			}
			if c.pan != 1 {
				right += s
			}
			if c.pan != 2 {
				left += s
			}
		}
		out[i], out[i+1] = clip16(left), clip16(right)
	}
}

func clip16(v float64) int16 { return int16(max(-32768, min(32767, v))) }

// Playing reports whether any channel is still sounding.
func (a *APU) Playing() bool {
	for i := range a.ch {
		if a.time < a.ch[i].release {
			return true
		}
	}
	return false
}
