package wasm4

// GLFW key codes (docs/abi.md: key events carry GLFW's codes) of the keys the console reads.
const (
	keySpace  = 32
	keyComma  = 44
	keyPeriod = 46
	keyA      = 65
	keyC      = 67
	keyD      = 68
	keyE      = 69
	keyF      = 70
	keyN      = 78
	keyQ      = 81
	keyS      = 83
	keyV      = 86
	keyX      = 88
	keyZ      = 90
	keyRight  = 262
	keyLeft   = 263
	keyDown   = 264
	keyUp     = 265
)

// keyButtons maps a key to a gamepad (0: gamepad 1) and a button. Gamepad 1 is the arrows with
// X (also V, Space, Period) and Z (also C, N, Comma), as on the reference console; gamepad 2
// is E/S/D/F with A (X) and Q (Z), so two people can share a keyboard.
var keyButtons = map[int32][2]uint8{
	keyLeft: {0, ButtonLeft}, keyRight: {0, ButtonRight}, keyUp: {0, ButtonUp}, keyDown: {0, ButtonDown},
	keyX: {0, ButtonX}, keyV: {0, ButtonX}, keySpace: {0, ButtonX}, keyPeriod: {0, ButtonX},
	keyZ: {0, ButtonZ}, keyC: {0, ButtonZ}, keyN: {0, ButtonZ}, keyComma: {0, ButtonZ},
	keyS: {1, ButtonLeft}, keyF: {1, ButtonRight}, keyE: {1, ButtonUp}, keyD: {1, ButtonDown},
	keyA: {1, ButtonX}, keyQ: {1, ButtonZ},
}

// Controls turns window input (keys, pointer, buttons) into the console's input registers.
// Make one with NewControls.
type Controls struct {
	held    map[int32]bool // keys down
	in      Input
	buttons uint8
}

// NewControls returns controls with nothing held and the pointer off screen.
func NewControls() *Controls {
	return &Controls{held: map[int32]bool{}, in: Input{MouseX: OffScreen, MouseY: OffScreen}}
}

// Key records a key going down or up; it reports whether the key is one the console reads.
func (c *Controls) Key(code int32, down bool) bool {
	if _, ok := keyButtons[code]; !ok {
		return false
	}
	if down {
		c.held[code] = true
	} else {
		delete(c.held, code)
	}
	// A button is down while any key mapped to it is.
	var pads [4]uint8
	for k := range c.held {
		b := keyButtons[k]
		pads[b[0]] |= b[1]
	}
	c.in.Gamepads = pads
	return true
}

// Pointer records the pointer at window pixel (x, y) of a w x h window showing the picture as
// Fit places it.
func (c *Controls) Pointer(x, y, w, h int) {
	scale, ox, oy := Fit(w, h)
	c.in.MouseX = clamp16(floorDiv(x-ox, scale))
	c.in.MouseY = clamp16(floorDiv(y-oy, scale))
}

// Button records a mouse button (0 left, 1 right, 2 middle) going down or up.
func (c *Controls) Button(b int32, down bool) {
	var bit uint8
	switch b {
	case 0:
		bit = MouseLeft
	case 1:
		bit = MouseRight
	case 2:
		bit = MouseMiddle
	default:
		return
	}
	if down {
		c.in.MouseButtons |= bit
	} else {
		c.in.MouseButtons &^= bit
	}
}

// Release lets go of every key and button (the window lost the focus: its key-up events will
// go elsewhere).
func (c *Controls) Release() {
	clear(c.held)
	c.in.Gamepads = [4]uint8{}
	c.in.MouseButtons = 0
}

// Input returns the registers' values.
func (c *Controls) Input() Input { return c.in }

func clamp16(v int) int16 {
	return int16(max(-32768, min(32767, v)))
}
