package policies

import (
	"embed"
	"io/fs"
	"path"
	"sort"
)

// defaultFiles are the built-in policies: a small trusted set for the demo modules. Everything
// else is denied until the user writes a policy.
//
//go:embed defaults/*.toml
var defaultFiles embed.FS

// BuiltinPrefix starts the name of a built-in policy file in errors and explanations.
const BuiltinPrefix = "built-in:"

// Defaults parses the built-in policies.
func Defaults(ex Expand) []*Policy {
	names, _ := fs.Glob(defaultFiles, "defaults/*.toml")
	sort.Strings(names)
	out := make([]*Policy, 0, len(names))
	for _, n := range names {
		data, err := defaultFiles.ReadFile(n)
		if err != nil {
			out = append(out, &Policy{File: BuiltinPrefix + path.Base(n), Builtin: true, Err: err})
			continue
		}
		p, _ := Parse(BuiltinPrefix+path.Base(n), data, ex)
		p.Builtin = true
		out = append(out, p)
	}
	return out
}

// DefaultSource returns the text of a built-in policy file ("hello.toml").
func DefaultSource(name string) ([]byte, error) {
	return defaultFiles.ReadFile("defaults/" + name)
}
