package wasm4

import "encoding/binary"

// The WASM-4 memory map: a cart's whole linear memory is one 64 KiB page, and the console's
// registers and framebuffer live at fixed addresses in it.
const (
	MemorySize = 1 << 16 // bytes: exactly one WebAssembly page, never grown

	AddrPalette      = 0x04 // 4 x u32 colours, 0xRRGGBB
	AddrDrawColors   = 0x14 // u16: four 4-bit indirections, 0 = transparent, 1..4 = palette entry
	AddrGamepads     = 0x16 // 4 x u8, gamepads 1..4
	AddrMouseX       = 0x1a // i16
	AddrMouseY       = 0x1c // i16
	AddrMouseButtons = 0x1e // u8
	AddrSystemFlags  = 0x1f // u8
	AddrNetplay      = 0x20 // u8: bit 2 set when netplay is active, low bits the player index
	AddrFramebuffer  = 0xa0 // 6400 bytes: 160x160 pixels, 2 bits each, 4 pixels per byte

	Width           = 160
	Height          = 160
	FramebufferSize = Width * Height / 4

	// DiskSize is the most a cart may keep with diskw.
	DiskSize = 1024
)

// Gamepad buttons (bits of each gamepad byte).
const (
	ButtonX     = 1
	ButtonZ     = 2
	ButtonLeft  = 16
	ButtonRight = 32
	ButtonUp    = 64
	ButtonDown  = 128
)

// Mouse buttons (bits of the mouse-buttons byte).
const (
	MouseLeft   = 1
	MouseRight  = 2
	MouseMiddle = 4
)

// System flags.
const (
	SystemPreserveFramebuffer = 1 // do not clear the framebuffer before each update
	SystemHideGamepadOverlay  = 2 // (touch screens) no on-screen gamepad
)

// Blit flags.
const (
	Blit2BPP   = 1
	BlitFlipX  = 2
	BlitFlipY  = 4
	BlitRotate = 8
)

// DefaultPalette is the palette a cart starts with.
var DefaultPalette = [4]uint32{0xe0f8cf, 0x86c06c, 0x306850, 0x071821}

// Memory is a cart's linear memory, exactly MemorySize bytes. The slice is only valid while the
// cart is not running (between calls, or inside a host call), since it aliases the store.
type Memory []byte

// Reset puts the registers in their power-on state: the default palette, DRAW_COLORS 0x1203,
// the mouse off screen (0x7fff, 0x7fff), everything else zero. It runs before the cart's data
// segments are written, which may overwrite any of it.
func (m Memory) Reset() {
	clear(m)
	for i, c := range DefaultPalette {
		binary.LittleEndian.PutUint32(m[AddrPalette+4*i:], c)
	}
	binary.LittleEndian.PutUint16(m[AddrDrawColors:], 0x1203)
	binary.LittleEndian.PutUint16(m[AddrMouseX:], 0x7fff)
	binary.LittleEndian.PutUint16(m[AddrMouseY:], 0x7fff)
}

// Palette returns the four palette colours.
func (m Memory) Palette() [4]uint32 {
	var p [4]uint32
	for i := range p {
		p[i] = binary.LittleEndian.Uint32(m[AddrPalette+4*i:])
	}
	return p
}

// DrawColors returns the DRAW_COLORS register.
func (m Memory) DrawColors() uint16 { return binary.LittleEndian.Uint16(m[AddrDrawColors:]) }

// SystemFlags returns the SYSTEM_FLAGS register.
func (m Memory) SystemFlags() uint8 { return m[AddrSystemFlags] }

// Framebuffer returns the 6400 bytes of the framebuffer.
func (m Memory) Framebuffer() []byte {
	return m[AddrFramebuffer : AddrFramebuffer+FramebufferSize : AddrFramebuffer+FramebufferSize]
}

// ClearFramebuffer sets every pixel to palette colour 0.
func (m Memory) ClearFramebuffer() { clear(m.Framebuffer()) }

// SetInput writes the gamepads and the mouse registers.
func (m Memory) SetInput(in Input) {
	copy(m[AddrGamepads:AddrGamepads+4], in.Gamepads[:])
	binary.LittleEndian.PutUint16(m[AddrMouseX:], uint16(in.MouseX))
	binary.LittleEndian.PutUint16(m[AddrMouseY:], uint16(in.MouseY))
	m[AddrMouseButtons] = in.MouseButtons
}

// Input is what the console's input registers hold for one frame.
type Input struct {
	Gamepads     [4]uint8
	MouseX       int16
	MouseY       int16
	MouseButtons uint8
}

// OffScreen is the mouse position of a pointer that is not over the cart.
const OffScreen = 0x7fff
