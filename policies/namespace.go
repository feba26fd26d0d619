package policies

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Namespace is a module's effective grants, resolved once and then asked many times; every
// method is safe for concurrent use (a Namespace is never modified after Resolve).
type Namespace struct {
	Module string
	Policy *Policy // nil: no policy matched; everything is denied
	Grants Grants  // effective grants, each with its source
	// Refused is set when the module may do nothing at all because its policy broke while it
	// ran; every check is denied with this as the rule.
	Refused error
	user    bool           // grants from the command line were added
	cache   *decisionCache // recent decisions; nil on a namespace built by hand
	gen     uint64         // store generation it was resolved at (set by Live before use)
}

func newNamespace(id Identity, p *Policy, g *Grants) *Namespace {
	return &Namespace{Module: id.Name, Policy: p, Grants: *g, cache: &decisionCache{}}
}

// refusedNamespace denies everything, naming why.
func refusedNamespace(name string, err error) *Namespace {
	return &Namespace{Module: name, Refused: err, cache: &decisionCache{}}
}

// WithUserGrants returns a namespace with the command line's grants (orbital run --dir, --env)
// added on top: they are the user's own choice for this run.
func (n *Namespace) WithUserGrants(g *Grants) *Namespace {
	c := *n
	c.Grants = *n.Grants.Clone()
	c.Grants.Add(g)
	c.user = true
	c.cache = &decisionCache{}
	return &c
}

// Attenuate returns the namespace n limited to what parent holds: a spawned child never gets
// more than the module that started it.
func (n *Namespace) Attenuate(parent *Namespace) *Namespace {
	c := *n
	c.Grants = *Intersect(&parent.Grants, &n.Grants)
	if parent.Refused != nil && c.Refused == nil {
		c.Refused = parent.Refused
	}
	c.cache = &decisionCache{}
	return &c
}

func anyTopic(rules []Rule, topic string) bool {
	for i := range rules {
		if MatchTopic(rules[i].Value, topic) {
			return true
		}
	}
	return false
}

// AllowPublish reports whether the module may publish on topic.
func (n *Namespace) AllowPublish(topic string) bool {
	return n.Refused == nil && anyTopic(n.Grants.Publish, topic)
}

// AllowRequest reports whether the module may send a request on topic.
func (n *Namespace) AllowRequest(topic string) bool {
	return n.Refused == nil && anyTopic(n.Grants.Request, topic)
}

// AllowSubscribe reports whether a granted pattern covers every topic pattern would receive.
func (n *Namespace) AllowSubscribe(pattern string) bool {
	if n.Refused != nil {
		return false
	}
	for i := range n.Grants.Subscribe {
		if Covers(n.Grants.Subscribe[i].Value, pattern) {
			return true
		}
	}
	return false
}

// AllowDirect reports whether the module may send messages to a pid directly.
func (n *Namespace) AllowDirect() bool { return n.Refused == nil && n.Grants.Direct.On }

func anyGlob(rules []Rule, s string) *Rule {
	for i := range rules {
		if rules[i].Value == s || globMatch(rules[i].Value, s) {
			return &rules[i]
		}
	}
	return nil
}

// AllowDevice reports whether the module may use the driver.
func (n *Namespace) AllowDevice(name string) bool {
	return n.Refused == nil && anyGlob(n.Grants.Devices, name) != nil
}

// AllowNet reports whether a host-side fetch to host:port is allowed.
func (n *Namespace) AllowNet(hostport string) bool {
	return n.Refused == nil && anyGlob(n.Grants.Net, strings.ToLower(hostport)) != nil
}

// AllowSpawn reports whether the module may start the named module.
func (n *Namespace) AllowSpawn(name string) bool {
	return n.Refused == nil && anyGlob(n.Grants.Spawn, name) != nil
}

// AllowSurface reports whether the module may open a w×h window.
func (n *Namespace) AllowSurface(w, h int) bool {
	g := &n.Grants
	return n.Refused == nil && g.Windows.On &&
		(g.MaxWidth.N == 0 || int64(w) <= g.MaxWidth.N) && (g.MaxHeight.N == 0 || int64(h) <= g.MaxHeight.N)
}

// MaxSurface is the largest surface allowed, (0, 0) when uncapped.
func (n *Namespace) MaxSurface() (w, h int) {
	return int(n.Grants.MaxWidth.N), int(n.Grants.MaxHeight.N)
}

// AllowRegion reports whether the module may create a region of size bytes (count and total
// bytes held are enforced by the bus's per-process limits, see Regions).
func (n *Namespace) AllowRegion(size int64) bool {
	g := &n.Grants
	return n.Refused == nil && g.RegionCount.N > 0 && (g.RegionBytes.N == 0 || size <= g.RegionBytes.N)
}

// Regions returns how many regions the module may hold at once and their total bytes (0: the
// bus's default cap).
func (n *Namespace) Regions() (count int, bytes int64) {
	return int(n.Grants.RegionCount.N), n.Grants.RegionBytes.N
}

// AllowCall reports whether the module may call the service by name.
func (n *Namespace) AllowCall(service string) bool {
	return n.Refused == nil && anyGlob(n.Grants.Call, service) != nil
}

// AllowClipboard reports whether the module may use the clipboard.
func (n *Namespace) AllowClipboard() bool { return n.Refused == nil && n.Grants.Clipboard.On }

// AllowStorage reports whether the module may keep data in its key-value storage.
func (n *Namespace) AllowStorage() bool { return n.Refused == nil && n.Grants.Storage.N > 0 }

// StorageQuota is the bytes of key-value storage the module may hold (0: none).
func (n *Namespace) StorageQuota() int64 {
	if n.Refused != nil {
		return 0
	}
	return n.Grants.Storage.N
}

// Preopens returns the directories to hand the guest through WASI.
func (n *Namespace) Preopens() []Preopen {
	if n.Refused != nil {
		return nil
	}
	return n.Grants.FS
}

// Env returns the granted environment as NAME=value entries.
func (n *Namespace) Env() []string { return values(n.Grants.Env) }

// Args returns the arguments policy puts before the user's own.
func (n *Namespace) Args() []string { return values(n.Grants.Args) }

func values(rs []Rule) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Value
	}
	return out
}

// Limits are the resource ceilings for a process; zero fields mean "the kernel's default".
type Limits struct {
	Memory   int64
	Deadline time.Duration
	Fuel     uint64
	CPU      int // percent of one core; 0: no cap
}

// Limits returns the module's resource ceilings.
func (n *Namespace) Limits() Limits {
	return Limits{Memory: n.Grants.Memory.N, Deadline: time.Duration(n.Grants.Deadline.N), Fuel: uint64(n.Grants.Fuel.N), CPU: int(n.Grants.CPU.N)}
}

// Check decides one operation; a denial is a *DeniedError naming the rule that applied.
func (n *Namespace) Check(op Op, object string) error {
	if n.allowCached(op, object) {
		return nil
	}
	return &DeniedError{Module: n.Module, Op: op, Object: object, Rule: n.denyRule(op, object)}
}

func (n *Namespace) allow(op Op, object string) bool {
	switch op {
	case OpPublish:
		return n.AllowPublish(object)
	case OpSubscribe:
		return n.AllowSubscribe(object)
	case OpRequest:
		return n.AllowRequest(object)
	case OpSend:
		return n.AllowDirect()
	case OpRegion:
		size, err := strconv.ParseInt(strings.TrimPrefix(object, "create:"), 10, 64)
		return err == nil && n.AllowRegion(size)
	case OpDevice:
		return n.AllowDevice(object)
	case OpNet:
		return n.AllowNet(object)
	case OpSurface:
		w, h, err := ParseSurface(object)
		return err == nil && n.AllowSurface(w, h)
	case OpSpawn:
		return n.AllowSpawn(object)
	case OpClipboard:
		return n.AllowClipboard()
	case OpStorage:
		return n.AllowStorage()
	case OpCall:
		return n.AllowCall(object)
	case OpFS:
		for _, p := range n.Preopens() {
			if object == p.Guest || strings.HasPrefix(object, strings.TrimSuffix(p.Guest, "/")+"/") {
				return true
			}
		}
	}
	return false
}

// denyRule says which rule refused an operation: a limit that was exceeded, a broken policy,
// or NoGrant.
func (n *Namespace) denyRule(op Op, object string) string {
	g := &n.Grants
	switch {
	case n.Refused != nil:
		return n.Refused.Error()
	case n.Policy == nil && !n.user:
		return NoGrant + ": no policy file matches " + n.Module + " (default deny)"
	case op == OpSurface && g.Windows.On:
		return fmt.Sprintf("ui.max_surface = %dx%d (%s)", g.MaxWidth.N, g.MaxHeight.N, g.MaxWidth.Src)
	case op == OpRegion && g.RegionCount.N > 0 && g.RegionBytes.N > 0:
		return fmt.Sprintf("regions.bytes = %s (%s)", FormatSize(g.RegionBytes.N), g.RegionBytes.Src)
	}
	return NoGrant
}

// Explain writes the namespace for a person: which policy applied, and for each grant the file
// and line that gave it.
func (n *Namespace) Explain(w io.Writer) {
	fmt.Fprintf(w, "module:  %s\n", n.Module)
	switch {
	case n.Refused != nil:
		fmt.Fprintf(w, "policy:  REFUSED: %v\n", n.Refused)
		return
	case n.Policy == nil:
		fmt.Fprintf(w, "policy:  none (default deny: the module may compute and print, nothing else)\n")
		fmt.Fprintf(w, "         to grant access: orbital policy new %s\n", n.Module)
		return
	}
	fmt.Fprintf(w, "policy:  %s (match %q, line %d)\n", n.Policy.File, n.Policy.Match, n.Policy.MatchLine)
	g := &n.Grants
	if g.Empty() && g.Memory.N == 0 && g.Deadline.N == 0 && g.Fuel.N == 0 && g.CPU.N == 0 {
		fmt.Fprintf(w, "grants:  nothing\n")
		return
	}
	row := func(what, value string, src Source) { fmt.Fprintf(w, "  %-12s %-40s %s\n", what, value, src) }
	fmt.Fprintf(w, "grants:\n")
	for _, k := range kinds {
		k.explain(g, row)
	}
}
