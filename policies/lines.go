package policies

import (
	"strconv"
	"strings"
)

// lineIndex maps TOML keys to the line that defines them. BurntSushi/toml reports positions for
// syntax errors (ParseError.Position) but keeps key positions private, so after a successful
// decode this small scanner walks the source once to find where each table and key is. Keys
// are written as dotted paths; the n-th [[fs]] table is "fs.<n>".
type lineIndex struct {
	lines []string
	keys  map[string]int
}

func indexLines(src string) *lineIndex {
	ix := &lineIndex{lines: strings.Split(src, "\n"), keys: map[string]int{}}
	ctx := ""
	arrays := map[string]int{}
	depth := 0 // open '[' of multi-line arrays
	inML := "" // open multi-line string delimiter
	for i, raw := range ix.lines {
		n := i + 1
		line := strings.TrimSpace(raw)
		if inML != "" {
			if strings.Contains(line, inML) {
				inML = ""
			}
			continue
		}
		if depth == 0 {
			switch {
			case strings.HasPrefix(line, "[["):
				if end := strings.Index(line, "]]"); end > 0 {
					name := unquoteKey(line[2:end])
					idx := arrays[name]
					arrays[name]++
					ctx = name + "." + strconv.Itoa(idx)
					ix.set(ctx, n)
					ix.set(name, n)
				}
				continue
			case strings.HasPrefix(line, "["):
				if end := strings.Index(line, "]"); end > 0 {
					ctx = unquoteKey(line[1:end])
					ix.set(ctx, n)
				}
				continue
			}
			if eq := strings.Index(line, "="); eq > 0 && !strings.HasPrefix(line, "#") {
				key := unquoteKey(line[:eq])
				if ctx != "" {
					key = ctx + "." + key
				}
				ix.set(key, n)
				if l := strings.TrimSpace(line[eq+1:]); strings.HasPrefix(l, "{") {
					ix.inline(key, l, n)
				}
				line = line[eq+1:]
			}
		}
		d, ml := scanValue(line)
		depth += d
		if depth < 0 {
			depth = 0
		}
		inML = ml
	}
	return ix
}

// inline records the keys of a one-line inline table (env = { A = "x" }).
func (ix *lineIndex) inline(key, l string, n int) {
	l = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(l), "{"), "}")
	for _, part := range strings.Split(l, ",") {
		if eq := strings.Index(part, "="); eq > 0 {
			ix.set(key+"."+unquoteKey(part[:eq]), n)
		}
	}
}

func (ix *lineIndex) set(key string, n int) {
	if _, ok := ix.keys[key]; !ok {
		ix.keys[key] = n
	}
}

// unquoteKey turns ` "a" . b ` into "a.b".
func unquoteKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// scanValue returns how a value fragment changes the array nesting depth (brackets outside
// strings and comments) and the delimiter of a multi-line string it leaves open.
func scanValue(s string) (depth int, openML string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '#':
			return depth, ""
		case '[':
			depth++
		case ']':
			depth--
		case '"', '\'':
			q := string(c)
			if strings.HasPrefix(s[i:], q+q+q) {
				end := strings.Index(s[i+3:], q+q+q)
				if end < 0 {
					return depth, q + q + q
				}
				i += 3 + end + 2
				continue
			}
			for i++; i < len(s) && s[i] != c; i++ {
				if c == '"' && s[i] == '\\' {
					i++
				}
			}
		}
	}
	return depth, ""
}

// line returns the line of key, or of its closest enclosing table, or 0.
func (ix *lineIndex) line(key string) int {
	for key != "" {
		if n, ok := ix.keys[key]; ok {
			return n
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

// elem returns the line of the array element value under key: the first line at or after the
// key's line (within the array) that holds the quoted value.
func (ix *lineIndex) elem(key, value string) int {
	start := ix.line(key)
	if start == 0 {
		return 0
	}
	for i := start - 1; i < len(ix.lines) && i < start-1+256; i++ {
		l := ix.lines[i]
		if strings.Contains(l, `"`+value+`"`) || strings.Contains(l, `'`+value+`'`) {
			return i + 1
		}
		if i > start-1 && strings.Contains(l, "]") && !strings.Contains(l, "[") {
			break
		}
	}
	return start
}
