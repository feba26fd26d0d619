package tomlguard

import "fmt"

// scanner walks a TOML document once, tracking only what can make a decoder recurse: the
// arrays and inline tables open at once, and the parts of each key and table header. Strings
// and comments are skipped so brackets and dots inside them do not count. Anything the scanner
// does not understand it passes over; the decoder reports syntax errors with their line.
type scanner struct {
	lim   Limits
	data  []byte
	i     int
	line  int
	stack []byte // '[' or '{' per open array or inline table
	// keyMode: the next token is a key (or, at the top level, a table header): at the start
	// of a line outside any value, or inside an inline table after '{' or ','.
	keyMode bool
}

// run returns "" or why the document is refused (s.line is where).
func (s *scanner) run() string {
	s.stack = make([]byte, 0, min(s.lim.MaxDepth, 64)+1)
	s.keyMode = true
	for s.i < len(s.data) {
		var msg string
		if s.keyMode {
			msg = s.key()
		} else {
			msg = s.value()
		}
		if msg != "" {
			return msg
		}
	}
	return ""
}

// key reads one key (or, at the top level, a table header) up to its '='.
func (s *scanner) key() string {
	parts, header := 1, false
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch c {
		case ' ', '\t', '\r':
			s.i++
		case '\n':
			s.i++
			s.line++
		case '#':
			s.comment()
		case '[':
			if len(s.stack) > 0 || header {
				s.i++ // not a header inside an inline table: the decoder refuses it
				continue
			}
			header = true
			s.i++
		case ']':
			s.i++
			if header && (s.i >= len(s.data) || s.data[s.i] != ']') {
				return s.checkParts(parts) // end of the header; the next key starts afresh
			}
		case '}':
			s.pop()
			s.i++
			return s.afterClose()
		case '.':
			parts++
			if msg := s.checkParts(parts); msg != "" {
				return msg
			}
			s.i++
		case '"', '\'':
			s.str()
		case '=':
			s.i++
			s.keyMode = false
			return s.checkParts(parts)
		default:
			s.i++
		}
	}
	return ""
}

func (s *scanner) checkParts(n int) string {
	if n > s.lim.MaxKeyParts {
		return fmt.Sprintf("a key or table header of more than %d dotted parts (refused before decoding)", s.lim.MaxKeyParts)
	}
	return ""
}

// value reads a value after '=' up to the token that ends it.
func (s *scanner) value() string {
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch c {
		case '\n':
			s.i++
			s.line++
			if len(s.stack) == 0 {
				s.keyMode = true
				return ""
			}
		case '#':
			s.comment()
		case '"', '\'':
			s.str()
		case '[', '{':
			if len(s.stack) >= s.lim.MaxDepth {
				return fmt.Sprintf("arrays and inline tables nested more than %d deep (refused before decoding)", s.lim.MaxDepth)
			}
			s.stack = append(s.stack, c)
			s.i++
			if c == '{' {
				s.keyMode = true
				return ""
			}
		case ']', '}':
			s.pop()
			s.i++
			return s.afterClose()
		case ',':
			s.i++
			if s.top() == '{' {
				s.keyMode = true
				return ""
			}
		default:
			s.i++
		}
	}
	return ""
}

// afterClose sets the mode after a closing bracket: the rest of the enclosing value, or, at
// the top level, the rest of the line.
func (s *scanner) afterClose() string {
	s.keyMode = false
	return ""
}

func (s *scanner) top() byte {
	if len(s.stack) == 0 {
		return 0
	}
	return s.stack[len(s.stack)-1]
}

func (s *scanner) pop() {
	if len(s.stack) > 0 {
		s.stack = s.stack[:len(s.stack)-1]
	}
}

// comment skips to the end of the line (the newline is left for the caller).
func (s *scanner) comment() {
	for s.i < len(s.data) && s.data[s.i] != '\n' {
		s.i++
	}
}

// str skips a basic ("), literal (') or multi-line (""" or ”') string, counting its lines.
// A single-line string ends at its quote or at the end of the line.
func (s *scanner) str() {
	q := s.data[s.i]
	multi := s.i+2 < len(s.data) && s.data[s.i+1] == q && s.data[s.i+2] == q
	if multi {
		s.i += 3
	} else {
		s.i++
	}
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '\\' && q == '"':
			if s.i+1 < len(s.data) && s.data[s.i+1] == '\n' {
				s.line++
			}
			s.i += 2
			continue
		case c == '\n':
			if !multi {
				return
			}
			s.line++
		case c == q:
			if !multi {
				s.i++
				return
			}
			if s.i+2 < len(s.data) && s.data[s.i+1] == q && s.data[s.i+2] == q {
				s.i += 3
				for s.i < len(s.data) && s.data[s.i] == q { // up to two quotes end the content
					s.i++
				}
				return
			}
		}
		s.i++
	}
}
