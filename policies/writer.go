package policies

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// Render writes grants as a policy file for match, with header as leading comment lines. Parse
// reads the result back to the same grants.
func Render(match string, g *Grants, header string) []byte {
	var b bytes.Buffer
	for _, l := range strings.Split(strings.TrimSpace(header), "\n") {
		if l != "" {
			b.WriteString("# " + l + "\n")
		}
	}
	var f rawFile
	f.Module.Match = match
	for _, k := range kinds {
		k.unparse(g, &f.Tables)
	}
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(&f); err != nil {
		panic("policies: encoding a policy file cannot fail: " + err.Error())
	}
	return b.Bytes()
}

// templateHead introduces the commented-out examples of a starting policy file.
const templateHead = `
# Everything below is commented out: uncomment what the module should get. Run
# 'orbital policy check' after editing, and 'orbital policy explain %s' to see the result.
`

// templateTables are the commented-out examples, one per table; a table the file already has
// is left out, so uncommenting never makes a duplicate table.
var templateTables = []struct{ header, text string }{
	{"[[fs]]", `#
# [[fs]]                        # a host directory the module sees through WASI
# host = "~/Pictures"           # ~ and $ORBITAL_HOME are expanded
# guest = "/pictures"
# mode = "ro"                   # or "rw"
`},
	{"[env]", `#
# [env]
# LANG = "C.UTF-8"
`},
	{"[bus]", `#
# [bus]                         # topic patterns: '.'-separated, "*" one token, ">" the rest
# publish = ["example.>"]
# subscribe = ["input.>"]
# request = ["camera.list"]
# direct = false                # may message pids directly
`},
	{"[regions]", `#
# [regions]                     # shared memory regions
# max = 4
# bytes = "64MiB"
`},
	{"[devices]", `#
# [devices]
# use = ["camera"]
`},
	{"[net]", `#
# [net]                         # host-side fetches
# allow = ["example.org:443"]
`},
	{"[process]", `#
# [process]
# args = []
# spawn = []                    # modules it may start (a child never gets more than its parent)
`},
	{"[limits]", `#
# [limits]
# memory = "64MiB"
# deadline = "2s"
# fuel = 0                      # wasm instructions for its whole life (0: unmetered)
# cpu = "100%"                  # share of one core it may use
`},
	{"[ui]", `#
# [ui]
# windows = true
# max_surface = "1920x1080"
# clipboard = false
`},
}

// Template is the starting policy file for a module: what its manifest requests (nil for a
// bare .wasm: nothing), with comments explaining each table.
func Template(module string, requests *Grants) []byte {
	header := "Policy for " + module + ", written by 'orbital policy new'.\n"
	if requests == nil || requests.Empty() {
		header += "The module's manifest requests nothing (or it has none): it gets no access until\nyou uncomment grants below."
	} else {
		header += "It grants what the module's manifest requests. Remove what you do not want to allow."
	}
	g := &Grants{}
	if requests != nil {
		g = requests
	}
	out := Render(module, g, header)
	text := string(out)
	out = append(out, fmt.Sprintf(templateHead, module)...)
	for _, t := range templateTables {
		if !strings.Contains(text, "\n"+t.header+"\n") {
			out = append(out, t.text...)
		}
	}
	return out
}

// fileName turns a module name into a safe policy file name.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// FileFor is the path of the policy file written for module in dir.
func FileFor(dir, module string) string {
	name := unsafeName.ReplaceAllString(module, "_")
	if name == "" || name[0] == '.' {
		name = "_" + name
	}
	return filepath.Join(dir, name+".toml")
}

// WriteFile writes data as dir/<module>.toml atomically (a temporary file renamed into place);
// with overwrite false an existing file is left alone and fs.ErrExist returned.
func WriteFile(dir, module string, data []byte, overwrite bool) (string, error) {
	path := FileFor(dir, module)
	if !overwrite {
		if _, err := os.Stat(path); err == nil {
			return path, fmt.Errorf("policies: %s already exists: %w", path, fs.ErrExist)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("policies: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".new-*.tmp")
	if err != nil {
		return "", fmt.Errorf("policies: %w", err)
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("policies: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("policies: %w", err)
	}
	return path, nil
}

// TildePath shows p with the user's home as ~ (for people; never parsed back).
func TildePath(p string) string {
	if hd, err := os.UserHomeDir(); err == nil && hd != "" && hd != "/" {
		if rel, err := filepath.Rel(hd, p); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			return "~/" + rel
		}
	}
	return p
}
