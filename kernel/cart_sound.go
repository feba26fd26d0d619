package kernel

import (
	"fmt"

	"github.com/orbital/orbital/wasm4"
)

// Sound is where carts' tones are played: the system's audio output (package audio), which
// owns the connection to the desktop's sound server. The kernel only hands it tones; it never
// waits on it. Config.Sound nil: tones are counted and traced only.
type Sound interface {
	// Voice is the sound of one cart, asked for at the cart's first tone. log writes to the
	// cart's log (level 0 debug .. 3 error) and may be called from any goroutine.
	Voice(owner SurfaceOwner, log func(level int, msg string)) Voice
}

// Voice plays one cart's tones.
type Voice interface {
	// Tone starts t without waiting. It returns "" when the tone went to the output, else
	// why not ("muted", "no audio output", ...), which the cart's trace says.
	Tone(t wasm4.ToneArgs) string
	// Close ends the cart's sound; called once, when the cart ends.
	Close()
}

// tonesLogged is how many tones a cart logs one by one; later ones are only counted (a cart
// with music plays several a second), and the count is logged when the cart ends.
const tonesLogged = 10

// tone hands the tone to the cart's voice (made at its first tone), counts it and traces it.
// A cart's sound is never an error: without an output, or muted, it is counted and traced.
func (cs *cartState) tone(c *call, t wasm4.ToneArgs) {
	p := c.p
	cs.tones++
	why := "no audio output"
	if s := p.k.cfg.Sound; s != nil {
		if cs.voice == nil {
			pid, name, log := p.pid, p.name, p.k.cfg.Log
			cs.voice = s.Voice(SurfaceOwner{PID: pid, Name: name}, func(level int, msg string) { log(pid, name, level, msg) })
		}
		why = cs.voice.Tone(t)
	}
	if why == "" {
		cs.sounded++
	}
	switch {
	case cs.tones <= tonesLogged && why == "":
		p.k.cfg.Log(p.pid, p.name, 0, t.String())
	case cs.tones <= tonesLogged:
		p.k.cfg.Log(p.pid, p.name, 0, t.String()+" ("+why+": counted)")
	case cs.tones == tonesLogged+1:
		p.k.cfg.Log(p.pid, p.name, 0, "further tones are counted only")
	}
}

// endSound closes the cart's voice and logs how many tones it played, when they were too
// many to log one by one.
func (cs *cartState) endSound(p *Process) {
	if cs.voice != nil {
		cs.voice.Close()
	}
	if cs.tones <= tonesLogged {
		return
	}
	msg := fmt.Sprintf("played %d tones (no audio output: counted)", cs.tones)
	if cs.sounded > 0 {
		msg = fmt.Sprintf("played %d tones, %d through the audio output", cs.tones, cs.sounded)
	}
	p.k.cfg.Log(p.pid, p.name, 0, msg)
}
