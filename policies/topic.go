package policies

import (
	"errors"
	"strings"
)

// Topic patterns are tokens separated by '.' (or '/', as the bus allows both). A token "*"
// matches exactly one token; a final ">" matches one or more tokens. A topic that is published
// has no wildcards.

// errEmptyToken and errWildcard are the pattern syntax errors ValidPattern reports.
var (
	errEmptyToken = errors.New("empty token (two separators in a row, or one at an end)")
	errTailOnly   = errors.New(`">" may only be the last token`)
	errMixedToken = errors.New(`a wildcard must be a whole token ("a.*", not "a*")`)
)

func isSep(c byte) bool { return c == '.' || c == '/' }

// ValidPattern reports whether p is a well-formed topic pattern.
func ValidPattern(p string) error {
	if p == "" {
		return errEmptyToken
	}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && !isSep(p[i]) {
			continue
		}
		tok := p[start:i]
		switch {
		case tok == "":
			return errEmptyToken
		case tok == ">" && i != len(p):
			return errTailOnly
		case tok != "*" && tok != ">" && strings.ContainsAny(tok, "*>"):
			return errMixedToken
		}
		start = i + 1
	}
	return nil
}

// nextToken returns the first token of s and the rest after its separator; ok is false when s
// is empty.
func nextToken(s string) (tok, rest string, more bool) {
	for i := 0; i < len(s); i++ {
		if isSep(s[i]) {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// MatchTopic reports whether the concrete topic matches pattern. It does not allocate.
func MatchTopic(pattern, topic string) bool {
	if topic == "" {
		return false
	}
	for {
		pt, prest, pmore := nextToken(pattern)
		if pt == ">" {
			return topic != ""
		}
		tt, trest, tmore := nextToken(topic)
		if pt != "*" && pt != tt {
			return false
		}
		if !pmore || !tmore {
			return pmore == tmore
		}
		pattern, topic = prest, trest
	}
}

// Covers reports whether every topic matched by sub is also matched by grant: a subscription
// pattern is allowed when a granted pattern covers it.
func Covers(grant, sub string) bool {
	for {
		gt, grest, gmore := nextToken(grant)
		st, srest, smore := nextToken(sub)
		if gt == ">" {
			return true // sub has at least one token here (">" or "*" or a literal)
		}
		if st == ">" {
			return false // sub matches any depth, grant is bounded here
		}
		if gt != "*" && gt != st {
			return false // a literal grant token covers only the same literal
		}
		if !gmore || !smore {
			return gmore == smore
		}
		grant, sub = grest, srest
	}
}

// IntersectPatterns returns the pattern matching exactly the topics both a and b match, and
// false when no topic matches both.
func IntersectPatterns(a, b string) (string, bool) {
	var out strings.Builder
	for {
		at, arest, amore := nextToken(a)
		bt, brest, bmore := nextToken(b)
		if at == ">" {
			out.WriteString(b)
			return out.String(), true
		}
		if bt == ">" {
			out.WriteString(a)
			return out.String(), true
		}
		switch {
		case at == "*":
			out.WriteString(bt)
		case bt == "*" || at == bt:
			out.WriteString(at)
		default:
			return "", false
		}
		if !amore || !bmore {
			if amore != bmore {
				return "", false
			}
			return out.String(), true
		}
		out.WriteByte('.')
		a, b = arest, brest
	}
}
