package system

import (
	"fmt"
	"os"

	"github.com/orbital/orbital/audio"
	"github.com/orbital/orbital/kernel"
)

// SoundMode says what an instance does with WASM-4 carts' tones (Config.Sound).
type SoundMode int

const (
	// SoundOff counts and traces tones only: tests and embedders that set nothing.
	SoundOff SoundMode = iota
	// SoundOn plays them through the desktop's sound server (package audio): `orbital run`
	// and `orbital shell`.
	SoundOn
	// SoundMuted counts and traces them as muted, contacting no server (--mute,
	// $ORBITAL_MUTE).
	SoundMuted
)

// MuteEnv is the environment variable that mutes carts (any value but "" and "0"), as
// `orbital run --mute` and `orbital shell --mute` do.
const MuteEnv = "ORBITAL_MUTE"

// DesktopSound is the mode of a desktop run: muted when mute (the --mute flag) or MuteEnv
// says so, else on.
func DesktopSound(mute bool) SoundMode {
	if v := os.Getenv(MuteEnv); mute || (v != "" && v != "0") {
		return SoundMuted
	}
	return SoundOn
}

// sound is the kernel's Sound for the instance's mode; nil for SoundOff. The instance owns
// the output (one per instance: the server is found once, and a server that is missing
// keeps every cart from dialling it until the retry time); the kernel asks it for a voice
// per cart.
func (in *Instance) sound() kernel.Sound {
	switch in.cfg.Sound {
	case SoundOn:
		return soundOutput{audio.New(audio.Config{})}
	case SoundMuted:
		return soundOutput{audio.New(audio.Config{Mute: true})}
	}
	return nil
}

// soundOutput adapts audio.Output to kernel.Sound.
type soundOutput struct{ o *audio.Output }

func (s soundOutput) Voice(owner kernel.SurfaceOwner, log func(level int, msg string)) kernel.Voice {
	return s.o.Voice(fmt.Sprintf("%s[%d]", owner.Name, owner.PID), log)
}
