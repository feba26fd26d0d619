package registry

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/semver/v3"

	"github.com/orbital/orbital/internal/tomlguard"
	"github.com/orbital/orbital/policies"
)

// ManifestFile is the manifest's name inside a package.
const ManifestFile = "module.toml"

// Kind is what a module is: app, service, library or driver.
type Kind string

// The module kinds.
const (
	KindApp     Kind = "app"
	KindService Kind = "service"
	KindLibrary Kind = "library"
	KindDriver  Kind = "driver"
)

// Manifest is a module's module.toml. Decoding is strict: an unknown key is an error.
type Manifest struct {
	Name        string   `toml:"name"`
	Version     string   `toml:"version"`
	Kind        Kind     `toml:"kind"`
	Description string   `toml:"description,omitempty"`
	Tags        []string `toml:"tags,omitempty"`
	// Entry is the entry module's file name inside the package; EntryDigest its
	// "sha256:<hex>" digest (filled in by orbital pack).
	Entry       string `toml:"entry"`
	EntryDigest string `toml:"entry_digest,omitempty"`
	// Exports lists the functions a library offers (or a service's handlers).
	Exports    []string `toml:"exports,omitempty"`
	ABIVersion int      `toml:"abi_version,omitempty"`
	// Restart is what happens when a process the instance supervises ends (boot, schedule,
	// topic triggers, the panel's Start): "never" (default), "on-failure" (a crash or a
	// non-zero exit) or "always"; drivers take never or on-failure.
	Restart string `toml:"restart,omitempty"`
	// Instances and IdleTimeout shape a service called by name (kind service only,
	// service.go): how many processes of it run (1 to 64; 0 is 1), and how long one started
	// by a call runs without calls before it is stopped ("30s", at least 1s, or "never";
	// "" is DefaultIdleTimeout).
	Instances   int    `toml:"instances,omitempty"`
	IdleTimeout string `toml:"idle_timeout,omitempty"`
	// Dependencies maps a library name to a semver range ("^1.2", ">=1.0, <3").
	Dependencies map[string]string `toml:"dependencies,omitempty"`
	Triggers     Triggers          `toml:"triggers,omitempty"`
	Permissions  Permissions       `toml:"permissions,omitempty"`
	// Files maps extra package files (assets) to their "sha256:<hex>" digests.
	Files map[string]string `toml:"files,omitempty"`
	// Publisher is "ed25519:<base64 public key>"; Signature is the base64 ed25519 signature
	// over SigningBytes (the manifest with Signature empty, which covers EntryDigest).
	Publisher string `toml:"publisher,omitempty"`
	Signature string `toml:"signature,omitempty"`
}

// Triggers say when the home's instance (orbital up, orbital shell) starts a module without
// being asked. Times are local. docs/design/lifecycle.md defines each precisely.
type Triggers struct {
	Boot bool `toml:"boot,omitempty"` // start with the instance
	// Topics: a message on a matching topic starts the module when it is not running and is
	// its first message; the instance forwards the topics' messages to it while it runs.
	Topics []string `toml:"topics,omitempty"`
	// Schedule: "@every 30s", "@hourly", "@daily" (robfig/cron descriptors) or five-field
	// cron ("0 3 * * 1-5"). A run still going when the next is due is skipped and counted.
	Schedule []string `toml:"schedule,omitempty"`
	// Once, Delay and Repeat are a task (start, delay, repeats): the first run at Once
	// ("2026-12-24T18:00", local time), then Repeat more runs, each Delay after the one
	// before was due ("10m"). Runs due while no instance ran are not made up.
	Once       string   `toml:"once,omitempty"`
	Delay      string   `toml:"delay,omitempty"`
	Repeat     int      `toml:"repeat,omitempty"`
	URLSchemes []string `toml:"url_schemes,omitempty"` // the shell opens these URLs with it
}

// Permissions is what a module asks for: the grant tables of a policy file (policies.Tables,
// the one place they are spelled). The effective namespace is this ∩ what policy grants.
type Permissions = policies.Tables

// Requests is what the manifest asks for, as grants (ex expands ~ and $ORBITAL_HOME in
// preopens).
func (m *Manifest) Requests(ex policies.Expand) (*policies.Grants, error) {
	return policies.RequestsFrom(m.ID()+" module.toml [permissions]", &m.Permissions, ex)
}

// RequestsTOML is the [permissions] table re-encoded as a policy-shaped TOML document, for
// policies.ParseRequests.
func (m *Manifest) RequestsTOML() []byte {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(m.Permissions); err != nil {
		panic("registry: encoding permissions cannot fail: " + err.Error())
	}
	return b.Bytes()
}

// ManifestError is a bad manifest: the file, the line (0 if unknown), the key and what is wrong.
type ManifestError struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *ManifestError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Key != "" {
		return loc + ": " + e.Key + ": " + e.Msg
	}
	return loc + ": " + e.Msg
}

// ErrBadManifest is what every *ManifestError matches with errors.Is.
var ErrBadManifest = errors.New("registry: bad manifest")

// Is makes errors.Is(err, ErrBadManifest) true.
func (e *ManifestError) Is(t error) bool { return t == ErrBadManifest }

// ParseManifest decodes and validates a module.toml. file names the source in errors. A
// document over tomlguard's bounds (size, nesting) is refused before it is decoded.
func ParseManifest(data []byte, file string) (*Manifest, error) {
	if err := tomlguard.Check(data, file); err != nil {
		var ge *tomlguard.Error
		errors.As(err, &ge)
		return nil, &ManifestError{File: file, Line: ge.Line, Msg: ge.Msg}
	}
	var m Manifest
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&m)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &ManifestError{File: file, Line: pe.Position.Line, Msg: pe.Message}
		}
		return nil, &ManifestError{File: file, Msg: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		return nil, &ManifestError{File: file, Line: keyLine(data, k), Key: k.String(),
			Msg: "unknown key (see registry/doc.go for the manifest's keys)"}
	}
	if err := m.Validate(); err != nil {
		var me *ManifestError
		if errors.As(err, &me) {
			me.File = file
			if me.Line == 0 && me.Key != "" {
				me.Line = keyLine(data, strings.Split(me.Key, "."))
			}
		}
		return nil, err
	}
	return &m, nil
}

// keyLine finds the line where a (possibly dotted) key is set, for error messages. It looks for
// the last component at the start of a line ("key =" or "[a.key]").
func keyLine(data []byte, k []string) int {
	if len(k) == 0 {
		return 0
	}
	last := k[len(k)-1]
	for i, line := range strings.Split(string(data), "\n") {
		s := strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(s, last); ok {
			if r := strings.TrimSpace(rest); strings.HasPrefix(r, "=") {
				return i + 1
			}
		}
		if strings.HasPrefix(s, "[") && strings.Contains(s, strings.Join(k, ".")) {
			return i + 1
		}
	}
	return 0
}

var (
	nameRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	fileRE   = regexp.MustCompile(`^[A-Za-z0-9._-][A-Za-z0-9._/-]{0,255}$`)
)

// Validate checks every field in one place. Errors are *ManifestError naming the key.
func (m *Manifest) Validate() error {
	bad := func(key, f string, a ...any) error { return &ManifestError{Key: key, Msg: fmt.Sprintf(f, a...)} }
	if !nameRE.MatchString(m.Name) {
		return bad("name", "%q is not a module name (lower case letters, digits, - and _, starting with a letter, at most 64)", m.Name)
	}
	if _, err := semver.StrictNewVersion(m.Version); err != nil {
		return bad("version", "%q is not a semantic version like 1.2.3: %v", m.Version, err)
	}
	switch m.Kind {
	case KindApp, KindService, KindLibrary, KindDriver:
	default:
		return bad("kind", "%q: want app, service, library or driver", m.Kind)
	}
	if !validFile(m.Entry) {
		return bad("entry", "%q is not a file name inside the package", m.Entry)
	}
	if IsScript(m.Entry) && m.Kind != KindApp {
		return bad("entry", "%q is a script, which runs as an app; kind %q cannot be one", m.Entry, m.Kind)
	}
	if m.EntryDigest != "" && !digestRE.MatchString(m.EntryDigest) {
		return bad("entry_digest", "%q: want sha256:<64 hex digits>", m.EntryDigest)
	}
	for _, t := range m.Tags {
		if t == "" || len(t) > 64 {
			return bad("tags", "tag %q: want 1 to 64 characters", t)
		}
	}
	switch {
	case m.Restart == "always" && m.Kind == KindDriver:
		return bad("restart", "\"always\": a driver restarts never or on-failure")
	case m.Restart != "" && m.Restart != "never" && m.Restart != "on-failure" && m.Restart != "always":
		return bad("restart", "%q: want never, on-failure or always", m.Restart)
	}
	if err := m.validateService(); err != nil {
		return err
	}
	for _, dep := range sortedKeys(m.Dependencies) {
		if !nameRE.MatchString(dep) {
			return bad("dependencies."+dep, "%q is not a module name", dep)
		}
		if dep == m.Name {
			return bad("dependencies."+dep, "a module cannot depend on itself")
		}
		if _, err := semver.NewConstraint(m.Dependencies[dep]); err != nil {
			return bad("dependencies."+dep, "%q is not a version range like ^1.2 or >=1.0, <2: %v", m.Dependencies[dep], err)
		}
	}
	if err := m.Triggers.validate(m.Kind); err != nil {
		return err
	}
	for _, f := range sortedKeys(m.Files) {
		if !validFile(f) || f == ManifestFile || f == m.Entry {
			return bad("files", "%q is not an extra file name inside the package", f)
		}
		if !digestRE.MatchString(m.Files[f]) {
			return bad("files", "%q: digest %q: want sha256:<64 hex digits>", f, m.Files[f])
		}
	}
	// A placeholder home: validation checks the shape of paths, not where they lead.
	if _, err := policies.RequestsFrom("", &m.Permissions, policies.Expand{UserHome: "/home/user", OrbitalHome: "/orbital"}); err != nil {
		var fes policies.FileErrors
		if errors.As(err, &fes) && len(fes) > 0 {
			return bad("permissions."+fes[0].Key, "%s", fes[0].Msg)
		}
		return bad("permissions", "%v", err)
	}
	if m.Publisher != "" {
		if _, err := ParsePublicKey(m.Publisher); err != nil {
			return bad("publisher", "%v", err)
		}
	}
	return nil
}

func validFile(f string) bool {
	if !fileRE.MatchString(f) || strings.HasPrefix(f, "/") {
		return false
	}
	for _, part := range strings.Split(f, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return true
}

// SemVer returns the parsed version (Validate guarantees it parses).
func (m *Manifest) SemVer() *semver.Version {
	v, err := semver.StrictNewVersion(m.Version)
	if err != nil {
		return semver.New(0, 0, 0, "", "")
	}
	return v
}

// ID is "name@version".
func (m *Manifest) ID() string { return m.Name + "@" + m.Version }

// Encode writes the manifest as TOML (deterministic: struct order, sorted map keys).
func (m *Manifest) Encode() []byte {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(m); err != nil {
		panic("registry: encoding a manifest cannot fail: " + err.Error())
	}
	return b.Bytes()
}

// SigningBytes is what the publisher signs: a domain tag and the manifest with Signature
// empty. EntryDigest and the Files digests are inside it, so the signature covers the code.
func (m *Manifest) SigningBytes() []byte {
	c := *m
	c.Signature = ""
	return append([]byte("orbital-manifest-v1\n"), c.Encode()...)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
