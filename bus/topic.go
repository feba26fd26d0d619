package bus

import (
	"fmt"
	"strings"
)

// MaxTopicLen is the longest topic or pattern accepted, in bytes.
const MaxTopicLen = 255

// ValidTopic checks a topic a message is published or requested on: tokens separated by '.'
// (or '/', see Canonical), none empty, no wildcards, printable ASCII without spaces.
func ValidTopic(topic string) error { return validate(topic, false) }

// ValidPattern checks a subscription pattern: like a topic, but a token may be '*' (exactly one
// token) and the last token may be '>' (one or more tokens).
func ValidPattern(pattern string) error { return validate(pattern, true) }

func validate(s string, wild bool) error {
	what := "topic"
	if wild {
		what = "pattern"
	}
	if s == "" {
		return fmt.Errorf("%w: empty %s", ErrBadTopic, what)
	}
	if len(s) > MaxTopicLen {
		return fmt.Errorf("%w: %s of %d bytes is over %d", ErrBadTopic, what, len(s), MaxTopicLen)
	}
	start := 0
	wildByte := false // the token so far has a '*' or '>'
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' && s[i] != '/' {
			c := s[i]
			if c <= ' ' || c >= 0x7f {
				return fmt.Errorf("%w: %s %q has byte 0x%02x at %d (printable ASCII only, no spaces)", ErrBadTopic, what, s, c, i)
			}
			wildByte = wildByte || c == '*' || c == '>'
			continue
		}
		tok := s[start:i]
		switch {
		case tok == "":
			return fmt.Errorf("%w: %s %q has an empty token at byte %d", ErrBadTopic, what, s, start)
		case tok == "*" || tok == ">":
			if !wild {
				return fmt.Errorf("%w: topic %q has the wildcard %q (wildcards only in subscriptions)", ErrBadTopic, s, tok)
			}
			if tok == ">" && i != len(s) {
				return fmt.Errorf("%w: pattern %q has '>' before its last token", ErrBadTopic, s)
			}
		case wildByte:
			return fmt.Errorf("%w: %s %q has a token %q mixing a wildcard with text", ErrBadTopic, what, s, tok)
		}
		start, wildByte = i+1, false
	}
	return nil
}

// Canonical is topic or pattern with '/' separators written as '.': the bus accepts both (as
// the policies do) and routes, delivers and checks the canonical form, so "camera/0/frame" and
// "camera.0.frame" are one topic.
func Canonical(s string) string {
	if strings.IndexByte(s, '/') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "/", ".")
}

// MatchPattern reports whether topic matches pattern (both valid and canonical).
func MatchPattern(pattern, topic string) bool {
	for {
		pt, prest, pmore := strings.Cut(pattern, ".")
		tt, trest, tmore := strings.Cut(topic, ".")
		switch {
		case pt == ">":
			return true
		case pt != "*" && pt != tt:
			return false
		}
		if pmore != tmore {
			return false
		}
		if !pmore {
			return true
		}
		pattern, topic = prest, trest
	}
}
