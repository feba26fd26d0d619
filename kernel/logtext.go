package kernel

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orbital/orbital/bus"
)

// Log lines are text for a person, printed on terminals and kept in the log book, and much
// of their text comes from guests (orbital.log, cart tracef, module names, proc_spawn names).
// A guest must not be able to forge a line of another process, move the cursor or recolour a
// terminal (issue 18, defect 13), so every line that reaches Config.Log is escaped here:
// control characters are shown, never interpreted, and one line stays one line.
//
//   - newline, CR and tab become \n, \r, \t; other C0 controls, DEL and C1 controls become
//     \xNN or \u00NN; so an ANSI escape sequence shows as \x1b[31m;
//   - the Unicode characters that reorder or hide text (bidirectional overrides and isolates,
//     line and paragraph separators) become \uNNNN;
//   - invalid UTF-8 bytes become \xNN.

// escapeLogText returns s with every character a terminal would interpret written out.
func escapeLogText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s // the common case: printable ASCII, no allocation
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		case (r >= 0x80 && r < 0xa0) || isInvisibleControl(r):
			b.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			b.WriteString(strings.Repeat("0", 4-len(h)) + h)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isInvisibleControl reports the format characters that change how the text around them is
// shown: bidirectional embeddings, overrides and isolates, and the line/paragraph separators.
func isInvisibleControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029 ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// EscapeLogText is escapeLogText for embedders that keep other guest text as log lines (the
// lines a guest writes to stdout and stderr, in the log book).
func EscapeLogText(s string) string { return escapeLogText(s) }

// escapingLog wraps an embedder's log function so that every line and process name it gets
// is escaped (escapeLogText).
func escapingLog(log func(pid bus.PID, name string, level int, line string)) func(bus.PID, string, int, string) {
	return func(pid bus.PID, name string, level int, line string) {
		log(pid, escapeLogText(name), level, escapeLogText(line))
	}
}
