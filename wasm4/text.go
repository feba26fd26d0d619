package wasm4

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// font is fontHex decoded: glyph c (32..255) is the 8 bytes at (c-32)*8.
var font = func() []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(fontHex, "\n", ""))
	if err != nil || len(b) != 224*8 {
		panic("wasm4: bad font table")
	}
	return b
}()

// drawChars draws character codes as the console does: 0 ends the text, 10 starts a new line
// 8 pixels down, 32..255 draw a glyph in draw colours 1 (ink) and 2 (background), anything
// else leaves an empty cell. next returns the next code and false at the end.
func (m Memory) drawChars(next func() (rune, bool), x, y int32) {
	cx := x
	fs := Sprite{Data: font}
	for {
		c, ok := next()
		if !ok || c == 0 {
			return
		}
		switch {
		case c == '\n':
			y += 8
			cx = x
		case c >= 32 && c <= 255:
			m.Blit(&fs, cx, y, 8, 8, 0, (c-32)<<3, 8, 0)
			cx += 8
		default:
			cx += 8
		}
	}
}

// Text draws the NUL-terminated bytes at ptr (one glyph per byte). It returns false when the
// text ran off the end of memory without a NUL (what was in memory is drawn).
func (m Memory) Text(ptr uint32, x, y int32) bool {
	s, ok := m.CString(ptr)
	i := 0
	m.drawChars(func() (rune, bool) {
		if i >= len(s) {
			return 0, false
		}
		i++
		return rune(s[i-1]), true
	}, x, y)
	return ok
}

// TextUTF8 draws n bytes of UTF-8 at ptr, a glyph per code point (bytes that are not UTF-8 draw
// as the Latin-1 glyph of the byte). It returns false when the range was cut at the end of
// memory.
func (m Memory) TextUTF8(ptr, n uint32, x, y int32) bool {
	b, ok := m.Range(ptr, n)
	m.drawChars(func() (rune, bool) {
		if len(b) == 0 {
			return 0, false
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			r = rune(b[0])
			size = 1
		}
		b = b[size:]
		return r, true
	}, x, y)
	return ok
}

// TextUTF16 draws n bytes of UTF-16LE at ptr, a glyph per 16-bit unit. It returns false when
// the range was cut at the end of memory.
func (m Memory) TextUTF16(ptr, n uint32, x, y int32) bool {
	b, ok := m.Range(ptr, n&^1)
	m.drawChars(func() (rune, bool) {
		if len(b) < 2 {
			return 0, false
		}
		c := binary.LittleEndian.Uint16(b)
		b = b[2:]
		return rune(c), true
	}, x, y)
	return ok
}

// Range returns the bytes [ptr, ptr+n) cut to memory, and false if it had to be cut.
func (m Memory) Range(ptr, n uint32) ([]byte, bool) {
	end := uint64(ptr) + uint64(n)
	if end <= uint64(len(m)) {
		return m[ptr:end:end], true
	}
	if uint64(ptr) >= uint64(len(m)) {
		return nil, false
	}
	return m[ptr:], false
}

// From returns the bytes from ptr to the end of memory (empty past the end).
func (m Memory) From(ptr uint32) []byte {
	if uint64(ptr) >= uint64(len(m)) {
		return nil
	}
	return m[ptr:]
}

// CString returns the bytes at ptr up to (not including) the first NUL; ok is false when there
// is no NUL before the end of memory (s is then what there was).
func (m Memory) CString(ptr uint32) (s []byte, ok bool) {
	b := m.From(ptr)
	for i, c := range b {
		if c == 0 {
			return b[:i], true
		}
	}
	return b, false
}
