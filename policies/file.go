package policies

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/orbital/orbital/internal/tomlguard"
)

// rawFile is the TOML shape of a policy file: [module] and the grant tables. Decoding is
// strict: a key not in it is an error, so a typo never silently drops a restriction or a grant.
type rawFile struct {
	Module struct {
		Match string `toml:"match"`
	} `toml:"module"`
	Tables
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
	g, match, warnings, err := parseGrants(file, data, ex, true)
	if err != nil {
		p.Err = err
		p.Match, p.MatchLine = recoverMatch(string(data))
		return p, err
	}
	p.Match, p.MatchLine = match.Value, match.Src.Line
	p.Grants = *g
	p.Warnings = warnings
	return p, nil
}

// ParseRequests reads a manifest's requested permissions: the same tables as a policy file,
// without [module].
func ParseRequests(file string, data []byte, ex Expand) (*Grants, error) {
	g, _, _, err := parseGrants(file, data, ex, false)
	return g, err
}

// RequestsFrom reads requested permissions already decoded (a manifest's [permissions]); its
// errors carry no line numbers.
func RequestsFrom(file string, t *Tables, ex Expand) (*Grants, error) {
	v := &validator{file: file, ix: indexLines(""), ex: ex}
	g := v.grants(t)
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	return g, nil
}

func parseGrants(file string, data []byte, ex Expand, policy bool) (*Grants, Rule, []*FileError, error) {
	var ge *tomlguard.Error
	if err := tomlguard.Check(data, file); errors.As(err, &ge) { // before the recursive decoder
		return nil, Rule{}, nil, FileErrors{&FileError{File: file, Line: ge.Line, Msg: ge.Msg}}
	}
	var raw rawFile
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return nil, Rule{}, nil, FileErrors{decodeError(file, data, err)}
	}
	v := &validator{file: file, ix: indexLines(string(data)), ex: ex, policy: policy}
	for _, k := range md.Undecoded() {
		v.unknown(k)
	}
	var match Rule
	if policy {
		match = v.match(raw.Module.Match)
	} else if md.IsDefined("module") {
		v.fail("module", "[module] belongs in a policy file, not in a manifest's requests")
	}
	g := v.grants(&raw.Tables)
	if policy && len(g.HTTP.Routes) > 0 && match.Value != "" && strings.ContainsAny(match.Value, "*?[\\:") {
		v.fail("http.routes", "routes need [module] match to name one module, not %q: a prefix is served by one module", match.Value)
	}
	if len(v.errs) > 0 {
		return nil, match, v.warns, v.errs
	}
	return g, match, v.warns, nil
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
	file  string
	ix    *lineIndex
	ex    Expand
	errs  FileErrors
	warns []*FileError
	// policy is set for a policy file (not a manifest's requests, which only narrow policy:
	// a request for ~ meets a policy's ~/Pictures at ~/Pictures).
	policy bool
}

func (v *validator) src(key string) Source { return Source{File: v.file, Line: v.ix.line(key)} }

func (v *validator) fail(key, format string, args ...any) {
	v.errs = append(v.errs, &FileError{File: v.file, Line: v.ix.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) warn(key, format string, args ...any) {
	v.warns = append(v.warns, &FileError{File: v.file, Line: v.ix.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
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
	if known := knownKeys(parent); known != "" {
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

func (v *validator) grants(t *Tables) *Grants {
	g := &Grants{}
	for _, k := range kinds {
		k.parse(v, t, g)
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

func (v *validator) preopen(key string, f FSTable) Preopen {
	p := Preopen{Src: v.src(key + ".host")}
	switch {
	case f.Host == "":
		v.fail(key+".host", "missing: the host directory to share, e.g. host = \"~/Pictures\"")
	default:
		h, err := v.ex.Path(f.Host)
		if err == nil && v.policy {
			err = CheckPreopen(h, v.ex.OrbitalHome) // a manifest may ask; policy never grants it
		}
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
		if p.Guest != f.Guest && p.Guest+"/" != f.Guest {
			v.warn(key+".guest", "%q normalises to %q; write that (.. and // are not kept)", f.Guest, p.Guest)
		}
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
		return errors.New(`want "host:port", e.g. "example.org:443" ("*" globs the host; a port is a number or "*")`)
	}
	if _, err := path.Match(host, ""); err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); port != "*" && (err != nil || n < 1 || n > 65535) {
		return fmt.Errorf("port %q: want 1..65535 (or * for any: a manifest asking for any port, which policy narrows)", port)
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
