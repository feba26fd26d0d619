package policies

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
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
	fmt.Fprintf(&b, "[module]\nmatch = %s\n", strconv.Quote(match))
	for _, p := range g.FS {
		fmt.Fprintf(&b, "\n[[fs]]\nhost = %s\nguest = %s\nmode = %q\n", strconv.Quote(p.Host), strconv.Quote(p.Guest), p.Mode)
	}
	if len(g.Env) > 0 {
		b.WriteString("\n[env]\n")
		for _, r := range g.Env {
			n, v, _ := strings.Cut(r.Value, "=")
			fmt.Fprintf(&b, "%s = %s\n", n, strconv.Quote(v))
		}
	}
	section := func(name string, lines ...string) {
		var body []string
		for _, l := range lines {
			if l != "" {
				body = append(body, l)
			}
		}
		if len(body) > 0 {
			fmt.Fprintf(&b, "\n[%s]\n%s\n", name, strings.Join(body, "\n"))
		}
	}
	section("process", list("args", g.Args), list("spawn", g.Spawn))
	section("bus", list("publish", g.Publish), list("subscribe", g.Subscribe), list("request", g.Request), flagLine("direct", g.Direct))
	bytesLine := ""
	if g.RegionBytes.N > 0 {
		bytesLine = "bytes = " + strconv.Quote(FormatSize(g.RegionBytes.N))
	}
	if g.RegionCount.N > 0 {
		section("regions", "max = "+strconv.FormatInt(g.RegionCount.N, 10), bytesLine)
	}
	section("devices", list("use", g.Devices))
	section("net", list("allow", g.Net))
	var lim []string
	if g.Memory.N > 0 {
		lim = append(lim, "memory = "+strconv.Quote(FormatSize(g.Memory.N)))
	}
	if g.Deadline.N > 0 {
		lim = append(lim, "deadline = "+strconv.Quote(time.Duration(g.Deadline.N).String()))
	}
	if g.Fuel.N > 0 {
		lim = append(lim, "fuel = "+strconv.FormatInt(g.Fuel.N, 10))
	}
	if g.CPU.N > 0 {
		lim = append(lim, "cpu = "+strconv.Quote(strconv.FormatInt(g.CPU.N, 10)+"%"))
	}
	section("limits", lim...)
	surface := ""
	if g.MaxWidth.N > 0 && g.MaxHeight.N > 0 {
		surface = fmt.Sprintf("max_surface = \"%dx%d\"", g.MaxWidth.N, g.MaxHeight.N)
	}
	if g.Windows.On || g.Clipboard.On {
		section("ui", flagLine("windows", g.Windows), surface, flagLine("clipboard", g.Clipboard))
	}
	return b.Bytes()
}

func list(key string, rs []Rule) string {
	if len(rs) == 0 {
		return ""
	}
	q := make([]string, len(rs))
	for i, r := range rs {
		q[i] = strconv.Quote(r.Value)
	}
	return key + " = [" + strings.Join(q, ", ") + "]"
}

func flagLine(key string, f Flag) string {
	if !f.On {
		return ""
	}
	return key + " = true"
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
