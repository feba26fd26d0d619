package policies

import (
	"fmt"
	"strconv"
)

// Source is where a grant came from: a policy file and line, "built-in:<name>.toml", the
// module's manifest, or the command line.
type Source struct {
	File string
	Line int
}

func (s Source) String() string {
	if s.File == "" {
		return "-"
	}
	if s.Line <= 0 {
		return s.File
	}
	return s.File + ":" + strconv.Itoa(s.Line)
}

// Mode is a preopen's access mode.
type Mode uint8

const (
	ReadOnly  Mode = 1
	ReadWrite Mode = 2
)

func (m Mode) String() string {
	switch m {
	case ReadOnly:
		return "ro"
	case ReadWrite:
		return "rw"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// MarshalText encodes "ro" or "rw" (a bound travels as JSON: bound.go).
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText decodes "ro" or "rw".
func (m *Mode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "ro":
		*m = ReadOnly
	case "rw":
		*m = ReadWrite
	default:
		return fmt.Errorf(`mode %q: want "ro" or "rw"`, b)
	}
	return nil
}

// Preopen is a host directory the guest sees at Guest through WASI.
type Preopen struct {
	Host  string // absolute, with ~ and $ORBITAL_HOME expanded
	Guest string // absolute guest path
	Mode  Mode
	Src   Source
}

// Rule is one granted value (a topic pattern, a device, a host:port, a module name, an env
// entry "NAME=value", an argument) and where it came from.
type Rule struct {
	Value string
	Src   Source
}

// Limit is a number granted by policy: a ceiling (memory, deadline, fuel, surface size) or an
// allowance (region count and bytes). 0 means "not set".
type Limit struct {
	N   int64
	Src Source
}

// Flag is a yes/no grant.
type Flag struct {
	On  bool
	Src Source
}

// Grants is everything a policy (or a manifest's request) can give a module. The zero value
// grants nothing.
type Grants struct {
	FS   []Preopen
	Env  []Rule // "NAME=value"
	Args []Rule // arguments given before the user's own

	Publish   []Rule // topic patterns
	Subscribe []Rule
	Request   []Rule
	Direct    Flag   // may send to a pid directly
	Call      []Rule // services it may call by name (module names or globs)

	RegionCount Limit // regions held at once; 0 grants none
	RegionBytes Limit // bytes of regions held at once (so also the largest one); 0 = the bus default

	Devices []Rule // driver names
	Net     []Rule // host:port, host may be a glob ("*.example.org:443")
	Spawn   []Rule // module names or globs it may start

	Memory   Limit // bytes of linear memory
	Deadline Limit // nanoseconds per handler call
	Fuel     Limit // wasmtime fuel units
	CPU      Limit // share of one core in percent (1-100); 0 = no cap

	GPUMemory     Limit // bytes of GPU memory (the gpu driver); 0 = the driver's default
	GPUDispatches Limit // GPU dispatches and draws per second
	GPUBudget     Limit // nanoseconds one GPU dispatch or draw may take

	Windows   Flag  // may open windows (surfaces)
	MaxWidth  Limit // largest surface; 0 = no cap beyond the ABI's
	MaxHeight Limit
	Clipboard Flag

	Storage Limit // bytes of durable key-value storage; 0 grants none

	HTTP HTTPGrant // URL path prefixes the module answers on the instance's HTTP server
}

// HTTPGrant is [http]: the path prefixes a module serves on the instance's HTTP server and the
// bounds of each request to them (ceilings: 0 is the server's default).
type HTTPGrant struct {
	Routes  []Rule // "/watchdog/": a path prefix, ending in "/"
	Body    Limit  // largest request body, bytes
	Rate    Limit  // requests per second, per route
	Timeout Limit  // how long the reply may take, ns
}

// Empty reports whether g grants nothing at all (ceilings alone grant nothing).
func (g *Grants) Empty() bool {
	for _, k := range kinds {
		if k.grants(g) {
			return false
		}
	}
	return true
}

// Clone returns a deep copy.
func (g *Grants) Clone() *Grants {
	c := *g
	for _, k := range kinds {
		k.clone(&c)
	}
	return &c
}

// Add puts o's grants on top of g (a union): the command line's grants (orbital run --dir,
// --env) are the user's own and apply after policy. Ceilings are g's.
func (g *Grants) Add(o *Grants) {
	for _, k := range kinds {
		k.add(g, o)
	}
}
