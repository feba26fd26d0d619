package wasm4

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxTrace is the longest line a trace call produces; the rest is cut with a marker (the
// kernel log cuts at 4 KiB too).
const MaxTrace = 4096

const cutMark = "…[cut]"

// Trace returns the NUL-terminated text at ptr; ok is false when it ran off memory.
func (m Memory) Trace(ptr uint32) (string, bool) {
	s, ok := m.CString(ptr)
	return capTrace(string(s)), ok
}

// TraceUTF8 returns n bytes of UTF-8 at ptr (invalid sequences become U+FFFD); ok is false when
// the range was cut at the end of memory.
func (m Memory) TraceUTF8(ptr, n uint32) (string, bool) {
	b, ok := m.Range(ptr, n)
	return capTrace(strings.ToValidUTF8(string(b), "\uFFFD")), ok
}

// TraceUTF16 returns n bytes of UTF-16LE at ptr; ok is false when the range was cut.
func (m Memory) TraceUTF16(ptr, n uint32) (string, bool) {
	b, ok := m.Range(ptr, n&^1)
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return capTrace(string(utf16.Decode(u))), ok
}

func capTrace(s string) string {
	if len(s) <= MaxTrace {
		return s
	}
	cut := MaxTrace
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + cutMark
}

// Tracef formats the NUL-terminated format at fmtPtr with the arguments packed from argPtr,
// as the console's tracef does: %c (i32 code point), %d and %x (i32, signed), %s (u32 pointer
// to a NUL-terminated string), %f (f64, 8 bytes), %% (a percent sign); any other letter after
// % prints nothing and takes no argument. Arguments follow each other without alignment.
//
// ok is false when the format or an argument lay past the end of memory (or a string had no
// NUL): the text then stops there, so a format that walks off the stack cannot read beyond the
// cart's memory or take long.
func (m Memory) Tracef(fmtPtr, argPtr uint32) (out string, ok bool) {
	f, ok := m.CString(fmtPtr)
	var b strings.Builder
	arg := uint64(argPtr)
	read := func(n uint64) ([]byte, bool) {
		if arg+n > uint64(len(m)) {
			return nil, false
		}
		p := m[arg : arg+n]
		arg += n
		return p, true
	}
	for i := 0; i < len(f) && b.Len() <= MaxTrace; i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i++; i >= len(f) {
			break
		}
		switch f[i] {
		case '%':
			b.WriteByte('%')
		case 'c', 'd', 'x', 's':
			p, in := read(4)
			if !in {
				return capTrace(strings.ToValidUTF8(b.String(), "\uFFFD")), false
			}
			v := int32(binary.LittleEndian.Uint32(p))
			switch f[i] {
			case 'c':
				if utf8.ValidRune(rune(v)) {
					b.WriteRune(rune(v))
				} else {
					b.WriteRune(utf8.RuneError)
				}
			case 'd':
				b.WriteString(strconv.FormatInt(int64(v), 10))
			case 'x':
				b.WriteString(strconv.FormatInt(int64(v), 16))
			case 's':
				s, sok := m.CString(uint32(v))
				b.Write(s[:min(len(s), MaxTrace)])
				ok = ok && sok
			}
		case 'f':
			p, in := read(8)
			if !in {
				return capTrace(strings.ToValidUTF8(b.String(), "\uFFFD")), false
			}
			b.WriteString(jsNumber(math.Float64frombits(binary.LittleEndian.Uint64(p))))
		}
	}
	return capTrace(strings.ToValidUTF8(b.String(), "\uFFFD")), ok
}

// jsNumber formats f as JavaScript's Number.prototype.toString does (the reference runtime's
// %f): the shortest digits that read back as f, an exponent only below 1e-6 or from 1e21.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if a := math.Abs(f); a >= 1e21 || a < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64) // 1.5e-07
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[:1]
		exp = strings.TrimLeft(exp[1:], "0")
		return mant + "e" + sign + exp
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
