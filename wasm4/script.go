package wasm4

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Script is scripted input for a cart, for tests and demos (`orbital run --input FILE`). Each
// line is a frame number and what is held from that frame on:
//
//	# comments and blank lines are ignored
//	0   pad1=-                  # gamepad 1: nothing held
//	30  pad1=right+x            # buttons: left right up down x z, joined with +
//	60  pad2=up mouse=80,40 buttons=left
//	90  pad1=- buttons=-
//
// Keys: pad1..pad4, mouse=X,Y (cart pixels, "off" for off screen) and buttons (left right
// middle). A value stays until a later line changes it. Frame numbers count update calls from
// 0 and must not go down. Script input is combined (OR) with what the user holds.
type Script struct {
	steps []scriptStep
}

type scriptStep struct {
	frame int
	line  int
	set   func(*Input)
}

// ParseScript reads a script; an error names the line and what is wrong with it.
func ParseScript(r io.Reader) (*Script, error) {
	s := &Script{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	last := 0
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		frame, err := strconv.Atoi(fields[0])
		if err != nil || frame < 0 {
			return nil, fmt.Errorf("input script line %d: %q is not a frame number (0 or more)", n, fields[0])
		}
		if frame < last {
			return nil, fmt.Errorf("input script line %d: frame %d comes after frame %d; frames must not go down", n, frame, last)
		}
		last = frame
		if len(fields) == 1 {
			return nil, fmt.Errorf("input script line %d: frame %d sets nothing (want pad1=..., mouse=X,Y or buttons=...)", n, frame)
		}
		for _, f := range fields[1:] {
			set, err := parseSetting(f)
			if err != nil {
				return nil, fmt.Errorf("input script line %d: %v", n, err)
			}
			s.steps = append(s.steps, scriptStep{frame: frame, line: n, set: set})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("input script: %w", err)
	}
	sort.SliceStable(s.steps, func(i, j int) bool { return s.steps[i].frame < s.steps[j].frame })
	return s, nil
}

var padButtons = map[string]uint8{"left": ButtonLeft, "right": ButtonRight, "up": ButtonUp, "down": ButtonDown, "x": ButtonX, "z": ButtonZ}
var mouseButtons = map[string]uint8{"left": MouseLeft, "right": MouseRight, "middle": MouseMiddle}

func parseSetting(f string) (func(*Input), error) {
	key, val, ok := strings.Cut(f, "=")
	if !ok {
		return nil, fmt.Errorf("%q: want KEY=VALUE (pad1=right+x, mouse=80,40, buttons=left)", f)
	}
	switch key {
	case "pad1", "pad2", "pad3", "pad4":
		bits, err := parseBits(val, padButtons)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", key, err)
		}
		i := key[3] - '1'
		return func(in *Input) { in.Gamepads[i] = bits }, nil
	case "buttons":
		bits, err := parseBits(val, mouseButtons)
		if err != nil {
			return nil, fmt.Errorf("buttons: %v", err)
		}
		return func(in *Input) { in.MouseButtons = bits }, nil
	case "mouse":
		if val == "off" {
			return func(in *Input) { in.MouseX, in.MouseY = OffScreen, OffScreen }, nil
		}
		xs, ys, ok := strings.Cut(val, ",")
		x, err1 := strconv.ParseInt(xs, 10, 16)
		y, err2 := strconv.ParseInt(ys, 10, 16)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("mouse=%s: want X,Y (cart pixels) or off", val)
		}
		return func(in *Input) { in.MouseX, in.MouseY = int16(x), int16(y) }, nil
	}
	return nil, fmt.Errorf("unknown key %q (want pad1..pad4, mouse or buttons)", key)
}

func parseBits(val string, names map[string]uint8) (uint8, error) {
	if val == "-" || val == "" {
		return 0, nil
	}
	var bits uint8
	for _, n := range strings.Split(val, "+") {
		b, ok := names[n]
		if !ok {
			known := make([]string, 0, len(names))
			for k := range names {
				known = append(known, k)
			}
			sort.Strings(known)
			return 0, fmt.Errorf("unknown button %q (want %s joined with +, or -)", n, strings.Join(known, ", "))
		}
		bits |= b
	}
	return bits, nil
}

// Player replays a Script frame by frame.
type Player struct {
	s    *Script
	next int
	in   Input
}

// NewPlayer starts s at frame 0, with nothing held and the mouse off screen.
func NewPlayer(s *Script) *Player {
	return &Player{s: s, in: Input{MouseX: OffScreen, MouseY: OffScreen}}
}

// At returns the scripted input at frame; frames must be asked for going up.
func (p *Player) At(frame int) Input {
	for p.next < len(p.s.steps) && p.s.steps[p.next].frame <= frame {
		p.s.steps[p.next].set(&p.in)
		p.next++
	}
	return p.in
}

// Merge combines scripted and live input: buttons held by either; the mouse is the live one
// unless it is off screen.
func Merge(script, live Input) Input {
	out := live
	for i := range out.Gamepads {
		out.Gamepads[i] |= script.Gamepads[i]
	}
	out.MouseButtons |= script.MouseButtons
	if live.MouseX == OffScreen && live.MouseY == OffScreen {
		out.MouseX, out.MouseY = script.MouseX, script.MouseY
	}
	return out
}
