package policies

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/orbital/orbital/internal/tomlguard"
)

// rawFile is the TOML shape of a policy file. Decoding is strict: a key not in this struct is an
// error, so a typo never silently drops a restriction or a grant.
type rawFile struct {
	Module  rawModule         `toml:"module"`
	FS      []rawPreopen      `toml:"fs"`
	Env     map[string]string `toml:"env"`
	Process struct {
		Args  []string `toml:"args"`
		Spawn []string `toml:"spawn"`
	} `toml:"process"`
	Bus struct {
		Publish   []string `toml:"publish"`
		Subscribe []string `toml:"subscribe"`
		Request   []string `toml:"request"`
		Direct    bool     `toml:"direct"`
	} `toml:"bus"`
	Regions struct {
		Max   int64   `toml:"max"`
		Bytes rawText `toml:"bytes"`
	} `toml:"regions"`
	Devices struct {
		Use []string `toml:"use"`
	} `toml:"devices"`
	Net struct {
		Allow []string `toml:"allow"`
	} `toml:"net"`
	Limits struct {
		Memory   rawText `toml:"memory"`
		Deadline rawText `toml:"deadline"`
		Fuel     int64   `toml:"fuel"`
		CPU      rawText `toml:"cpu"`
	} `toml:"limits"`
	UI struct {
		Windows    bool   `toml:"windows"`
		MaxSurface string `toml:"max_surface"`
		Clipboard  bool   `toml:"clipboard"`
	} `toml:"ui"`
}

type rawModule struct {
	Match string `toml:"match"`
}

type rawPreopen struct {
	Host  string `toml:"host"`
	Guest string `toml:"guest"`
	Mode  string `toml:"mode"`
}

// rawText takes a string or a number ("64MiB" or 67108864) and keeps its text for validation.
type rawText string

func (t *rawText) UnmarshalText(b []byte) error { *t = rawText(b); return nil }

// knownKeys lists each table's keys for the "unknown key" message.
var knownKeys = map[string]string{
	"":        "module, fs, env, process, bus, regions, devices, net, limits, ui",
	"module":  "match",
	"fs":      "host, guest, mode",
	"process": "args, spawn",
	"bus":     "publish, subscribe, request, direct",
	"regions": "max, bytes",
	"devices": "use",
	"net":     "allow",
	"limits":  "memory, deadline, fuel, cpu",
	"ui":      "windows, max_surface, clipboard",
}

// Expand holds what ~ and $ORBITAL_HOME expand to in a preopen's host path.
type Expand struct {
	UserHome    string
	OrbitalHome string
}

// DefaultExpand uses the current user's home directory and the given Orbital home.
func DefaultExpand(orbitalHome string) Expand {
	h, _ := os.UserHomeDir()
	return Expand{UserHome: h, OrbitalHome: orbitalHome}
}

// Parse reads one policy file. file names it in errors and in grant sources. The result's
// error, if any, is a FileErrors naming every problem with its line and key.
func Parse(file string, data []byte, ex Expand) (*Policy, error) {
	p := &Policy{File: file}
	g, match, err := parseGrants(file, data, ex, true)
	if err != nil {
		p.Err = err
		p.Match, p.MatchLine = recoverMatch(string(data))
		return p, err
	}
	p.Match, p.MatchLine = match.Value, match.Src.Line
	p.Grants = *g
	return p, nil
}

// ParseRequests reads a manifest's requested permissions: the same tables as a policy file,
// without [module].
func ParseRequests(file string, data []byte, ex Expand) (*Grants, error) {
	g, _, err := parseGrants(file, data, ex, false)
	return g, err
}

func parseGrants(file string, data []byte, ex Expand, policy bool) (*Grants, Rule, error) {
	var ge *tomlguard.Error
	if err := tomlguard.Check(data, file); errors.As(err, &ge) { // before the recursive decoder
		return nil, Rule{}, FileErrors{&FileError{File: file, Line: ge.Line, Msg: ge.Msg}}
	}
	var raw rawFile
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return nil, Rule{}, FileErrors{decodeError(file, data, err)}
	}
	v := &validator{file: file, ix: indexLines(string(data)), ex: ex}
	for _, k := range md.Undecoded() {
		v.unknown(k)
	}
	var match Rule
	if policy {
		match = v.match(raw.Module.Match)
	} else if md.IsDefined("module") {
		v.fail("module", "[module] belongs in a policy file, not in a manifest's requests")
	}
	g := v.grants(&raw)
	if len(v.errs) > 0 {
		return nil, match, v.errs
	}
	return g, match, nil
}

// typeErr is the shape of BurntSushi/toml's type mismatch errors, which are not ParseErrors.
var typeErr = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// decodeError turns a toml decode error into a FileError with the line and key.
func decodeError(file string, data []byte, err error) *FileError {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line := pe.Position.Line
		if s := pe.Position.Start; s > 0 && s <= len(data) {
			// An error found at a line's end is reported on the next line; count from the byte.
			line = strings.Count(string(data[:s]), "\n") + 1
		}
		return &FileError{File: file, Line: line, Key: pe.LastKey, Msg: pe.Message}
	}
	if m := typeErr.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &FileError{File: file, Line: n, Key: m[2], Msg: m[3]}
	}
	return &FileError{File: file, Msg: err.Error()}
}

type validator struct {
	file string
	ix   *lineIndex
	ex   Expand
	errs FileErrors
}

func (v *validator) src(key string) Source { return Source{File: v.file, Line: v.ix.line(key)} }

func (v *validator) fail(key, format string, args ...any) {
	v.errs = append(v.errs, &FileError{File: v.file, Line: v.ix.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) unknown(k toml.Key) {
	parent := ""
	if len(k) > 1 {
		parent = k[0]
	}
	if parent == "env" {
		return
	}
	key := k.String()
	if parent == "fs" {
		// The line index numbers [[fs]] tables; MetaData's keys do not, so find the first
		// table holding the unknown key.
		for i := 0; ; i++ {
			base := "fs." + strconv.Itoa(i)
			if _, ok := v.ix.keys[base]; !ok {
				break
			}
			if _, ok := v.ix.keys[base+"."+k[len(k)-1]]; ok {
				key = base + "." + k[len(k)-1]
				break
			}
		}
	}
	msg := "unknown key"
	if known, ok := knownKeys[parent]; ok {
		if parent == "" {
			msg += " (known tables: " + known + ")"
		} else {
			msg += " (known keys in [" + parent + "]: " + known + ")"
		}
	}
	v.errs = append(v.errs, &FileError{File: v.file, Line: v.ix.line(key), Key: k.String(), Msg: msg})
}

func (v *validator) match(m string) Rule {
	switch {
	case m == "":
		v.fail("module.match", `missing: say which module this file is for, e.g. [module] match = "hello"`)
	case strings.HasPrefix(m, "publisher:"):
		if strings.TrimPrefix(m, "publisher:") == "" {
			v.fail("module.match", `"publisher:" needs the publisher's key after the colon`)
		}
	default:
		if _, err := path.Match(m, ""); err != nil {
			v.fail("module.match", "%q is not a valid glob: %v", m, err)
		}
	}
	return Rule{Value: m, Src: v.src("module.match")}
}

var (
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	deviceName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)

func (v *validator) grants(raw *rawFile) *Grants {
	g := &Grants{}
	for i, f := range raw.FS {
		g.FS = append(g.FS, v.preopen("fs."+strconv.Itoa(i), f))
	}
	names := make([]string, 0, len(raw.Env))
	for k := range raw.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !envName.MatchString(k) {
			v.fail("env."+k, "%q is not a valid environment variable name", k)
			continue
		}
		g.Env = append(g.Env, Rule{Value: k + "=" + raw.Env[k], Src: v.src("env." + k)})
	}
	g.Args = v.list("process.args", raw.Process.Args, nil)
	g.Spawn = v.list("process.spawn", raw.Process.Spawn, checkGlob)
	g.Publish = v.list("bus.publish", raw.Bus.Publish, ValidPattern)
	g.Subscribe = v.list("bus.subscribe", raw.Bus.Subscribe, ValidPattern)
	g.Request = v.list("bus.request", raw.Bus.Request, ValidPattern)
	g.Direct = Flag{On: raw.Bus.Direct, Src: v.src("bus.direct")}
	if raw.Regions.Max < 0 {
		v.fail("regions.max", "must be 0 or more, not %d", raw.Regions.Max)
	}
	g.RegionCount = Limit{N: raw.Regions.Max, Src: v.src("regions.max")}
	g.RegionBytes = v.size("regions.bytes", raw.Regions.Bytes)
	g.Devices = v.list("devices.use", raw.Devices.Use, checkDevice)
	g.Net = v.list("net.allow", raw.Net.Allow, checkHostPort)
	g.Memory = v.size("limits.memory", raw.Limits.Memory)
	g.Deadline = v.duration("limits.deadline", raw.Limits.Deadline)
	if raw.Limits.Fuel < 0 {
		v.fail("limits.fuel", "must be 0 or more, not %d", raw.Limits.Fuel)
	}
	g.Fuel = Limit{N: raw.Limits.Fuel, Src: v.src("limits.fuel")}
	g.CPU = v.percent("limits.cpu", raw.Limits.CPU)
	g.Windows = Flag{On: raw.UI.Windows, Src: v.src("ui.windows")}
	g.Clipboard = Flag{On: raw.UI.Clipboard, Src: v.src("ui.clipboard")}
	if s := raw.UI.MaxSurface; s != "" {
		w, h, err := ParseSurface(s)
		if err != nil {
			v.fail("ui.max_surface", "%v", err)
		}
		src := v.src("ui.max_surface")
		g.MaxWidth, g.MaxHeight = Limit{N: int64(w), Src: src}, Limit{N: int64(h), Src: src}
	}
	return g
}

func (v *validator) list(key string, vals []string, check func(string) error) []Rule {
	var out []Rule
	for _, s := range vals {
		if check != nil {
			if err := check(s); err != nil {
				v.errs = append(v.errs, &FileError{File: v.file, Line: v.ix.elem(key, s), Key: key, Msg: fmt.Sprintf("%q: %v", s, err)})
				continue
			}
		}
		out = append(out, Rule{Value: s, Src: Source{File: v.file, Line: v.ix.elem(key, s)}})
	}
	return out
}

func (v *validator) preopen(key string, f rawPreopen) Preopen {
	p := Preopen{Src: v.src(key + ".host")}
	switch {
	case f.Host == "":
		v.fail(key+".host", "missing: the host directory to share, e.g. host = \"~/Pictures\"")
	default:
		h, err := v.ex.Path(f.Host)
		if err != nil {
			v.fail(key+".host", "%v", err)
		}
		p.Host = h
	}
	switch {
	case f.Guest == "":
		v.fail(key+".guest", "missing: where the module sees it, e.g. guest = \"/pictures\"")
	case !strings.HasPrefix(f.Guest, "/"):
		v.fail(key+".guest", "%q must be an absolute path (start with /)", f.Guest)
	default:
		p.Guest = path.Clean(f.Guest)
	}
	if err := p.Mode.UnmarshalText([]byte(f.Mode)); err != nil {
		if f.Mode == "" {
			err = errors.New(`missing: say mode = "ro" (read-only) or "rw"`)
		}
		v.fail(key+".mode", "%v", err)
	}
	return p
}

// Path expands a leading ~ or $ORBITAL_HOME and returns a clean absolute path.
func (ex Expand) Path(p string) (string, error) {
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		if ex.UserHome == "" {
			return "", fmt.Errorf("%q: the user's home directory is unknown", p)
		}
		p = ex.UserHome + p[1:]
	case strings.HasPrefix(p, "$ORBITAL_HOME") || strings.HasPrefix(p, "${ORBITAL_HOME}"):
		rest := strings.TrimPrefix(strings.TrimPrefix(p, "${ORBITAL_HOME}"), "$ORBITAL_HOME")
		if rest != "" && rest[0] != '/' {
			return "", fmt.Errorf("%q: write $ORBITAL_HOME/<path>", p)
		}
		if ex.OrbitalHome == "" {
			return "", fmt.Errorf("%q: the Orbital home is unknown", p)
		}
		p = ex.OrbitalHome + rest
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%q must be absolute (or start with ~/ or $ORBITAL_HOME/)", p)
	}
	return filepath.Clean(p), nil
}

func (v *validator) size(key string, t rawText) Limit {
	if t == "" {
		return Limit{}
	}
	n, err := ParseSize(string(t))
	if err != nil {
		v.fail(key, "%v", err)
	}
	return Limit{N: n, Src: v.src(key)}
}

// percent reads a share of one core, "1%" to "100%".
func (v *validator) percent(key string, t rawText) Limit {
	if t == "" {
		return Limit{}
	}
	n, err := ParsePercent(string(t))
	if err != nil {
		v.fail(key, "%v", err)
	}
	return Limit{N: n, Src: v.src(key)}
}

func (v *validator) duration(key string, t rawText) Limit {
	if t == "" {
		return Limit{}
	}
	d, err := time.ParseDuration(string(t))
	if err != nil || d <= 0 {
		v.fail(key, "%q is not a positive duration (e.g. \"2s\", \"500ms\")", t)
	}
	return Limit{N: int64(d), Src: v.src(key)}
}

func checkGlob(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	_, err := path.Match(s, "")
	return err
}

func checkDevice(s string) error {
	if !deviceName.MatchString(s) {
		return errors.New("not a driver name (lower-case letters, digits, '.', '-', '_')")
	}
	return nil
}

func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return errors.New(`want "host:port", e.g. "example.org:443"`)
	}
	if _, err := path.Match(host, ""); err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q: want 1..65535", port)
	}
	return nil
}

// matchLine finds `match = "..."` in a file that did not decode, so a broken file can still be
// tied to the modules it was meant for.
var matchLine = regexp.MustCompile(`(?m)^\s*match\s*=\s*["']([^"'\n]+)["']`)

func recoverMatch(src string) (string, int) {
	loc := matchLine.FindStringSubmatchIndex(src)
	if loc == nil {
		return "", 0
	}
	return src[loc[2]:loc[3]], strings.Count(src[:loc[2]], "\n") + 1
}
