package policies

import (
	"errors"
	"fmt"
	"strings"
)

// FileError is a problem in a policy file, named by file, line and key.
type FileError struct {
	File string
	Line int    // 0 when unknown
	Key  string // dotted TOML key, "" for syntax errors without one
	Msg  string
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// FileErrors is every problem found in one or more policy files.
type FileErrors []*FileError

func (es FileErrors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// ErrBroken: a policy file that applies to the module could not be read; the module is refused
// rather than run with a guess. The wrapped error names the file and line.
var ErrBroken = errors.New("policies: broken policy file")

// ErrAmbiguous: two policy files at the same precedence match the module.
var ErrAmbiguous = errors.New("policies: ambiguous policy")

// ErrDenied is what every DeniedError matches with errors.Is.
var ErrDenied = errors.New("policies: denied")

// DeniedError is one refused operation: what was tried and which rule decided.
type DeniedError struct {
	Module string
	Op     Op
	Object string
	Rule   string // the rule that applied, or "no grant"
}

func (e *DeniedError) Error() string {
	msg := fmt.Sprintf("policies: %s may not %s %q: %s", e.Module, e.Op.phrase(), e.Object, e.Rule)
	if strings.HasPrefix(e.Rule, NoGrant) {
		msg += fmt.Sprintf(" (to grant it, edit the module's policy: orbital policy explain %s; or orbital policy new %s)", e.Module, e.Module)
	}
	return msg
}

// Is makes errors.Is(err, ErrDenied) true.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// NoGrant is the rule of a denial that no grant covered.
const NoGrant = "no grant"
