package policies

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// kinds is the table of grant kinds: every algorithm over grants (parsing a policy file or a
// manifest's requests, rendering a file, intersection, union, what a prompt asks, explain, the
// prompt's and the admin panel's wording, the grant an answer at a door gives) walks it, so a
// new kind is a field in Grants, its keys in Tables and one row here. The order is explain's.
var kinds = []kind{
	fsKind{},
	envKind{},
	&ruleKind{key: "process.args", label: "arg", meetFn: fromPolicy,
		field: func(g *Grants) *[]Rule { return &g.Args }, raw: func(t *Tables) *[]string { return &t.Process.Args }},
	&ruleKind{key: "bus.publish", label: "publish", check: ValidPattern, meetFn: intersectTopics, op: OpPublish,
		prompt: "Publish on %s", short: "publish:",
		field: func(g *Grants) *[]Rule { return &g.Publish }, raw: func(t *Tables) *[]string { return &t.Bus.Publish },
		covered: func(ns *Namespace, v string) bool { return ns.AllowPublish(v) || coveredBy(ns.Grants.Publish, v) }},
	&ruleKind{key: "bus.subscribe", label: "subscribe", check: ValidPattern, meetFn: intersectTopics, op: OpSubscribe,
		prompt: "Listen on %s", short: "subscribe:",
		field: func(g *Grants) *[]Rule { return &g.Subscribe }, raw: func(t *Tables) *[]string { return &t.Bus.Subscribe },
		covered: (*Namespace).AllowSubscribe},
	&ruleKind{key: "bus.request", label: "request", check: ValidPattern, meetFn: intersectTopics, op: OpRequest,
		prompt: "Send requests on %s", short: "request:",
		field: func(g *Grants) *[]Rule { return &g.Request }, raw: func(t *Tables) *[]string { return &t.Bus.Request },
		covered: func(ns *Namespace, v string) bool { return coveredBy(ns.Grants.Request, v) }},
	&flagKind{key: "bus.direct", label: "direct", value: "may message pids directly", op: OpSend,
		prompt: "Send messages directly to other processes", short: "direct",
		field: func(g *Grants) *Flag { return &g.Direct }, raw: func(t *Tables) *bool { return &t.Bus.Direct }},
	regionsKind{},
	&ruleKind{key: "devices.use", label: "device", check: checkDevice, meetFn: intersectGlobs, op: OpDevice,
		prompt: "Use the %s device", short: "device:",
		field: func(g *Grants) *[]Rule { return &g.Devices }, raw: func(t *Tables) *[]string { return &t.Devices.Use },
		covered: (*Namespace).AllowDevice},
	&ruleKind{key: "net.allow", label: "net", check: checkHostPort, meetFn: intersectGlobs, op: OpNet,
		prompt: "Connect to %s", short: "net:",
		field: func(g *Grants) *[]Rule { return &g.Net }, raw: func(t *Tables) *[]string { return &t.Net.Allow },
		covered: (*Namespace).AllowNet},
	&ruleKind{key: "process.spawn", label: "spawn", check: checkGlob, meetFn: intersectGlobs, op: OpSpawn,
		prompt: "Start the module %s", short: "spawn:",
		field: func(g *Grants) *[]Rule { return &g.Spawn }, raw: func(t *Tables) *[]string { return &t.Process.Spawn },
		covered: (*Namespace).AllowSpawn},
	windowsKind{},
	&flagKind{key: "ui.clipboard", label: "clipboard", value: "read and write", op: OpClipboard,
		prompt: "Use the clipboard", short: "clipboard",
		field: func(g *Grants) *Flag { return &g.Clipboard }, raw: func(t *Tables) *bool { return &t.UI.Clipboard }},
	&limitKind{key: "limits.memory", label: "memory", read: ParseSize, write: FormatSize,
		field: func(g *Grants) *Limit { return &g.Memory }, text: func(t *Tables) *Text { return &t.Limits.Memory }},
	&limitKind{key: "limits.deadline", label: "deadline", read: parseDuration, write: formatDuration,
		field: func(g *Grants) *Limit { return &g.Deadline }, text: func(t *Tables) *Text { return &t.Limits.Deadline }},
	&limitKind{key: "limits.cpu", label: "cpu", read: ParsePercent, write: formatPercent,
		show:  func(n int64) string { return strconv.FormatInt(n, 10) + "% of one core" },
		field: func(g *Grants) *Limit { return &g.CPU }, text: func(t *Tables) *Text { return &t.Limits.CPU }},
	&limitKind{key: "limits.fuel", label: "fuel", write: formatInt,
		field: func(g *Grants) *Limit { return &g.Fuel }, number: func(t *Tables) *int64 { return &t.Limits.Fuel }},
	&limitKind{key: "storage.kv", label: "storage", read: ParseSize, write: FormatSize, allowance: true, op: OpStorage,
		prompt: "Keep up to %s of data", short: "kv:",
		field: func(g *Grants) *Limit { return &g.Storage }, text: func(t *Tables) *Text { return &t.Storage.KV }},
}

// kind is one row of the table.
type kind interface {
	keys() []string                                          // its TOML keys, "table.key"
	parse(v *validator, t *Tables, g *Grants)                // Tables -> Grants, reporting bad values
	unparse(g *Grants, t *Tables)                            // Grants -> Tables (Render)
	meet(a, b, out *Grants)                                  // intersection; b is policy (or the child)
	add(g, o *Grants)                                        // union: o on top of g
	clone(g *Grants)                                         // copy what g shares with its original
	grants(g *Grants) bool                                   // it grants something (a ceiling never does)
	missing(req *Grants, ns *Namespace, m *Grants)           // what req asks beyond ns, into m
	explain(g *Grants, row func(what, v string, src Source)) // explain's rows
	describe(g *Grants) []string                             // the prompt's lines: "Publish on a.>"
	summary(g *Grants) []string                              // the admin panel's: "publish:a.>"
}

// doorKind is a kind a door asks about while a module runs (kernel/ask.go).
type doorKind interface {
	forOp(op Op, object string) (*Grants, bool)
}

// GrantFor is the grant that allows op on object, for an answer at a door; false when no
// single grant does (an op nobody asks about).
func GrantFor(op Op, object string) (*Grants, bool) {
	for _, k := range kinds {
		if d, ok := k.(doorKind); ok {
			if g, ok := d.forOp(op, object); ok {
				return g, true
			}
		}
	}
	return nil, false
}

// Describe says what g grants in plain words, one line per permission (a prompt's lines).
func Describe(g *Grants) []string {
	var out []string
	for _, k := range kinds {
		out = append(out, k.describe(g)...)
	}
	return out
}

// Summary lists what g grants in short "kind:value" items (the admin panel's grants column).
func Summary(g *Grants) []string {
	var out []string
	for _, k := range kinds {
		out = append(out, k.summary(g)...)
	}
	return out
}

// ruleKind is a list of values: topic patterns, globs, host:ports, arguments.
type ruleKind struct {
	key     string
	label   string                        // explain's first column
	prompt  string                        // Describe's format; "" is not asked about
	short   string                        // Summary's prefix; "" is not shown
	op      Op                            // the door it opens
	check   func(string) error            // one value's validity; nil takes any
	meetFn  func(a, b []Rule) []Rule      // intersection
	covered func(*Namespace, string) bool // a request the namespace already grants; nil: never missing
	field   func(*Grants) *[]Rule
	raw     func(*Tables) *[]string
}

func (k *ruleKind) keys() []string { return []string{k.key} }

func (k *ruleKind) parse(v *validator, t *Tables, g *Grants) {
	*k.field(g) = v.list(k.key, *k.raw(t), k.check)
}

func (k *ruleKind) unparse(g *Grants, t *Tables) { *k.raw(t) = values(*k.field(g)) }

func (k *ruleKind) meet(a, b, out *Grants) { *k.field(out) = k.meetFn(*k.field(a), *k.field(b)) }

func (k *ruleKind) add(g, o *Grants) { *k.field(g) = append(*k.field(g), *k.field(o)...) }

func (k *ruleKind) clone(g *Grants) { *k.field(g) = append([]Rule(nil), *k.field(g)...) }

func (k *ruleKind) grants(g *Grants) bool { return len(*k.field(g)) > 0 }

func (k *ruleKind) missing(req *Grants, ns *Namespace, m *Grants) {
	if k.covered == nil {
		return
	}
	for _, r := range *k.field(req) {
		if !k.covered(ns, r.Value) {
			*k.field(m) = append(*k.field(m), r)
		}
	}
}

func (k *ruleKind) explain(g *Grants, row func(what, v string, src Source)) {
	for _, r := range *k.field(g) {
		row(k.label, r.Value, r.Src)
	}
}

func (k *ruleKind) describe(g *Grants) []string { return k.each(g, k.prompt) }

func (k *ruleKind) summary(g *Grants) []string { return k.each(g, k.short+"%s") }

func (k *ruleKind) each(g *Grants, format string) []string {
	if format == "" || format == "%s" {
		return nil
	}
	var out []string
	for _, r := range *k.field(g) {
		out = append(out, fmt.Sprintf(format, r.Value))
	}
	return out
}

func (k *ruleKind) forOp(op Op, object string) (*Grants, bool) {
	if op == 0 || op != k.op || k.prompt == "" {
		return nil, false
	}
	g := &Grants{}
	*k.field(g) = []Rule{{Value: object}}
	return g, true
}

// fromPolicy is the intersection of a list only policy sets (arguments): b's.
func fromPolicy(_, b []Rule) []Rule { return append([]Rule(nil), b...) }

// flagKind is a yes/no grant.
type flagKind struct {
	key, label, value string // explain's row: label, value
	prompt, short     string
	op                Op
	field             func(*Grants) *Flag
	raw               func(*Tables) *bool
}

func (k *flagKind) keys() []string { return []string{k.key} }

func (k *flagKind) parse(v *validator, t *Tables, g *Grants) {
	*k.field(g) = Flag{On: *k.raw(t), Src: v.src(k.key)}
}

func (k *flagKind) unparse(g *Grants, t *Tables) { *k.raw(t) = k.field(g).On }
func (k *flagKind) meet(a, b, out *Grants)       { *k.field(out) = andFlag(*k.field(a), *k.field(b)) }
func (k *flagKind) clone(*Grants)                {}
func (k *flagKind) grants(g *Grants) bool        { return k.field(g).On }

func (k *flagKind) add(g, o *Grants) {
	if k.field(o).On {
		*k.field(g) = *k.field(o)
	}
}

func (k *flagKind) missing(req *Grants, ns *Namespace, m *Grants) {
	if k.field(req).On && !ns.allow(k.op, "") {
		*k.field(m) = *k.field(req)
	}
}

func (k *flagKind) explain(g *Grants, row func(what, v string, src Source)) {
	if f := k.field(g); f.On {
		row(k.label, k.value, f.Src)
	}
}

func (k *flagKind) describe(g *Grants) []string { return k.line(g, k.prompt) }
func (k *flagKind) summary(g *Grants) []string  { return k.line(g, k.short) }

func (k *flagKind) line(g *Grants, s string) []string {
	if !k.field(g).On {
		return nil
	}
	return []string{s}
}

func (k *flagKind) forOp(op Op, _ string) (*Grants, bool) {
	if op != k.op || op == OpSend {
		return nil, false
	}
	g := &Grants{}
	*k.field(g) = Flag{On: true}
	return g, true
}

// limitKind is a number. A ceiling (memory, deadline, fuel, a CPU share): 0 is "not set", the
// smaller of two set values wins an intersection, and it grants nothing. An allowance (the
// storage quota): 0 grants none, the smaller wins, and a request for more is asked about.
type limitKind struct {
	key, label string
	allowance  bool
	op         Op
	prompt     string                      // Describe's format for an allowance, given write(N)
	short      string                      // Summary's prefix
	read       func(string) (int64, error) // a text value's parser; nil for a number
	write      func(int64) string          // as a policy file writes it
	show       func(int64) string          // explain's value; nil: write
	field      func(*Grants) *Limit
	text       func(*Tables) *Text  // a text value ("64MiB")
	number     func(*Tables) *int64 // or a number (fuel)
}

func (k *limitKind) keys() []string { return []string{k.key} }

func (k *limitKind) parse(v *validator, t *Tables, g *Grants) {
	if k.number != nil {
		n := *k.number(t)
		if n < 0 {
			v.fail(k.key, "must be 0 or more, not %d", n)
			n = 0
		}
		*k.field(g) = Limit{N: n, Src: v.src(k.key)}
		return
	}
	s := string(*k.text(t))
	if s == "" {
		return
	}
	n, err := k.read(s)
	if err != nil {
		v.fail(k.key, "%v", err)
	}
	*k.field(g) = Limit{N: n, Src: v.src(k.key)}
}

func (k *limitKind) unparse(g *Grants, t *Tables) {
	n := k.field(g).N
	switch {
	case k.number != nil:
		*k.number(t) = n
	case n > 0:
		*k.text(t) = Text(k.write(n))
	}
}

func (k *limitKind) meet(a, b, out *Grants) {
	if k.allowance {
		*k.field(out) = minAllowance(*k.field(a), *k.field(b))
		return
	}
	*k.field(out) = minCeiling(*k.field(a), *k.field(b))
}

func (k *limitKind) clone(*Grants)         {}
func (k *limitKind) grants(g *Grants) bool { return k.allowance && k.field(g).N > 0 }

func (k *limitKind) add(g, o *Grants) {
	if k.allowance && k.field(o).N > k.field(g).N {
		*k.field(g) = *k.field(o)
	}
}

func (k *limitKind) missing(req *Grants, ns *Namespace, m *Grants) {
	if k.allowance && k.field(req).N > k.field(&ns.Grants).N {
		*k.field(m) = *k.field(req)
	}
}

func (k *limitKind) describe(g *Grants) []string {
	if !k.grants(g) {
		return nil
	}
	return []string{fmt.Sprintf(k.prompt, k.write(k.field(g).N))}
}

func (k *limitKind) summary(g *Grants) []string {
	if !k.grants(g) {
		return nil
	}
	return []string{k.short + k.write(k.field(g).N)}
}

func (k *limitKind) explain(g *Grants, row func(what, v string, src Source)) {
	l := k.field(g)
	if l.N <= 0 {
		return
	}
	show := k.write
	if k.show != nil {
		show = k.show
	}
	row(k.label, show(l.N), l.Src)
}

func parseDuration(s string) (int64, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration (e.g. \"2s\", \"500ms\")", s)
	}
	return int64(d), nil
}

func formatDuration(n int64) string { return time.Duration(n).String() }
func formatPercent(n int64) string  { return strconv.FormatInt(n, 10) + "%" }
func formatInt(n int64) string      { return strconv.FormatInt(n, 10) }

// fsKind is the [[fs]] preopens.
type fsKind struct{}

func (fsKind) keys() []string { return []string{"fs.host", "fs.guest", "fs.mode"} }

func (fsKind) parse(v *validator, t *Tables, g *Grants) {
	for i, f := range t.FS {
		g.FS = append(g.FS, v.preopen("fs."+strconv.Itoa(i), f))
	}
}

func (fsKind) unparse(g *Grants, t *Tables) {
	for _, p := range g.FS {
		t.FS = append(t.FS, FSTable{Host: p.Host, Guest: p.Guest, Mode: p.Mode.String()})
	}
}

func (fsKind) meet(a, b, out *Grants) { out.FS = intersectFS(a.FS, b.FS) }
func (fsKind) add(g, o *Grants)       { g.FS = append(g.FS, o.FS...) }
func (fsKind) clone(g *Grants)        { g.FS = append([]Preopen(nil), g.FS...) }
func (fsKind) grants(g *Grants) bool  { return len(g.FS) > 0 }

func (fsKind) missing(req *Grants, ns *Namespace, m *Grants) {
	for _, p := range req.FS {
		if !ns.covered(p) {
			m.FS = append(m.FS, p)
		}
	}
}

func (fsKind) explain(g *Grants, row func(what, v string, src Source)) {
	for _, p := range g.FS {
		row("fs", fmt.Sprintf("%s -> %s (%s)", p.Host, p.Guest, p.Mode), p.Src)
	}
}

func (fsKind) describe(g *Grants) []string {
	var out []string
	for _, p := range g.FS {
		verb := "Read"
		if p.Mode == ReadWrite {
			verb = "Read and write"
		}
		if p.Host != "" {
			out = append(out, fmt.Sprintf("%s %s (host %s)", verb, p.Guest, TildePath(p.Host)))
		} else {
			out = append(out, fmt.Sprintf("%s %s", verb, p.Guest))
		}
	}
	return out
}

func (fsKind) summary(g *Grants) []string {
	var out []string
	for _, p := range g.FS {
		out = append(out, fmt.Sprintf("fs:%s(%s)", p.Guest, p.Mode))
	}
	return out
}

// envKind is the [env] table: NAME = "value".
type envKind struct{}

func (envKind) keys() []string { return nil } // any name

func (envKind) parse(v *validator, t *Tables, g *Grants) {
	names := make([]string, 0, len(t.Env))
	for k := range t.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !envName.MatchString(k) {
			v.fail("env."+k, "%q is not a valid environment variable name", k)
			continue
		}
		g.Env = append(g.Env, Rule{Value: k + "=" + t.Env[k], Src: v.src("env." + k)})
	}
}

func (envKind) unparse(g *Grants, t *Tables) {
	for _, r := range g.Env {
		if t.Env == nil {
			t.Env = map[string]string{}
		}
		n, val, _ := strings.Cut(r.Value, "=")
		t.Env[n] = val
	}
}

func (envKind) meet(a, b, out *Grants) { out.Env = intersectEnv(a.Env, b.Env) }
func (envKind) add(g, o *Grants)       { g.Env = append(g.Env, o.Env...) }
func (envKind) clone(g *Grants)        { g.Env = append([]Rule(nil), g.Env...) }
func (envKind) grants(g *Grants) bool  { return len(g.Env) > 0 }

func (envKind) missing(req *Grants, ns *Namespace, m *Grants) {
	have := map[string]bool{}
	for _, r := range ns.Grants.Env {
		have[envKey(r)] = true
	}
	for _, r := range req.Env {
		if !have[envKey(r)] {
			m.Env = append(m.Env, r)
		}
	}
}

func (envKind) explain(g *Grants, row func(what, v string, src Source)) {
	for _, r := range g.Env {
		row("env", r.Value, r.Src)
	}
}

func (envKind) describe(g *Grants) []string {
	var out []string
	for _, r := range g.Env {
		out = append(out, "Read the environment variable "+envKey(r))
	}
	return out
}

func (envKind) summary(g *Grants) []string {
	var out []string
	for _, r := range g.Env {
		out = append(out, "env:"+envKey(r))
	}
	return out
}

// regionsKind is [regions]: how many shared regions a module may hold (0 grants none) and
// their bytes (a ceiling; 0 is the bus's default).
type regionsKind struct{}

func (regionsKind) keys() []string { return []string{"regions.max", "regions.bytes"} }

func (regionsKind) parse(v *validator, t *Tables, g *Grants) {
	n := t.Regions.Max
	if n < 0 {
		v.fail("regions.max", "must be 0 or more, not %d", n)
		n = 0
	}
	g.RegionCount = Limit{N: n, Src: v.src("regions.max")}
	if s := string(t.Regions.Bytes); s != "" {
		b, err := ParseSize(s)
		if err != nil {
			v.fail("regions.bytes", "%v", err)
		}
		g.RegionBytes = Limit{N: b, Src: v.src("regions.bytes")}
	}
}

func (regionsKind) unparse(g *Grants, t *Tables) {
	if g.RegionCount.N <= 0 {
		return // bytes alone grant nothing, and would not read back
	}
	t.Regions.Max = g.RegionCount.N
	if g.RegionBytes.N > 0 {
		t.Regions.Bytes = Text(FormatSize(g.RegionBytes.N))
	}
}

func (regionsKind) meet(a, b, out *Grants) {
	out.RegionCount = minAllowance(a.RegionCount, b.RegionCount)
	out.RegionBytes = minCeiling(a.RegionBytes, b.RegionBytes)
}

func (regionsKind) add(g, o *Grants) {
	for _, p := range [][2]*Limit{{&g.RegionCount, &o.RegionCount}, {&g.RegionBytes, &o.RegionBytes}} {
		if p[1].N > p[0].N {
			*p[0] = *p[1]
		}
	}
}

func (regionsKind) clone(*Grants)         {}
func (regionsKind) grants(g *Grants) bool { return g.RegionCount.N > 0 }

func (regionsKind) missing(req *Grants, ns *Namespace, m *Grants) {
	if req.RegionCount.N > ns.Grants.RegionCount.N {
		m.RegionCount, m.RegionBytes = req.RegionCount, req.RegionBytes
	}
}

func (regionsKind) explain(g *Grants, row func(what, v string, src Source)) {
	if g.RegionCount.N > 0 {
		row("regions", fmt.Sprintf("up to %d", g.RegionCount.N), g.RegionCount.Src)
		if g.RegionBytes.N > 0 {
			row("region bytes", FormatSize(g.RegionBytes.N), g.RegionBytes.Src)
		}
	}
}

func (regionsKind) describe(g *Grants) []string {
	if g.RegionCount.N <= 0 {
		return nil
	}
	return []string{fmt.Sprintf("Share memory regions (up to %d at once)", g.RegionCount.N)}
}

func (regionsKind) summary(g *Grants) []string {
	if g.RegionCount.N <= 0 {
		return nil
	}
	return []string{fmt.Sprintf("regions:%d", g.RegionCount.N)}
}

// windowsKind is ui.windows and ui.max_surface: may open windows, up to a size.
type windowsKind struct{}

func (windowsKind) keys() []string { return []string{"ui.windows", "ui.max_surface"} }

func (windowsKind) parse(v *validator, t *Tables, g *Grants) {
	g.Windows = Flag{On: t.UI.Windows, Src: v.src("ui.windows")}
	if s := t.UI.MaxSurface; s != "" {
		w, h, err := ParseSurface(s)
		if err != nil {
			v.fail("ui.max_surface", "%v", err)
		}
		src := v.src("ui.max_surface")
		g.MaxWidth, g.MaxHeight = Limit{N: int64(w), Src: src}, Limit{N: int64(h), Src: src}
	}
}

func (windowsKind) unparse(g *Grants, t *Tables) {
	t.UI.Windows = g.Windows.On
	if g.MaxWidth.N > 0 && g.MaxHeight.N > 0 {
		t.UI.MaxSurface = fmt.Sprintf("%dx%d", g.MaxWidth.N, g.MaxHeight.N)
	}
}

func (windowsKind) meet(a, b, out *Grants) {
	out.Windows = andFlag(a.Windows, b.Windows)
	out.MaxWidth = minCeiling(a.MaxWidth, b.MaxWidth)
	out.MaxHeight = minCeiling(a.MaxHeight, b.MaxHeight)
}

func (windowsKind) add(g, o *Grants) {
	if o.Windows.On {
		g.Windows = o.Windows
	}
}

func (windowsKind) clone(*Grants)         {}
func (windowsKind) grants(g *Grants) bool { return g.Windows.On }

func (windowsKind) missing(req *Grants, ns *Namespace, m *Grants) {
	if req.Windows.On && !ns.Grants.Windows.On {
		m.Windows, m.MaxWidth, m.MaxHeight = req.Windows, req.MaxWidth, req.MaxHeight
	}
}

func (windowsKind) explain(g *Grants, row func(what, v string, src Source)) {
	if g.Windows.On {
		row("windows", "may open windows", g.Windows.Src)
		if g.MaxWidth.N > 0 {
			row("max surface", fmt.Sprintf("%dx%d", g.MaxWidth.N, g.MaxHeight.N), g.MaxWidth.Src)
		}
	}
}

func (windowsKind) describe(g *Grants) []string {
	switch {
	case !g.Windows.On:
		return nil
	case g.MaxWidth.N > 0 && g.MaxHeight.N > 0:
		return []string{fmt.Sprintf("Open windows up to %dx%d", g.MaxWidth.N, g.MaxHeight.N)}
	}
	return []string{"Open windows"}
}

func (windowsKind) summary(g *Grants) []string {
	if !g.Windows.On {
		return nil
	}
	return []string{"windows"}
}

// cutKey splits "bus.publish" into its table and key.
func cutKey(k string) (table, key string, ok bool) { return strings.Cut(k, ".") }

func joinComma(s []string) string { return strings.Join(s, ", ") }
