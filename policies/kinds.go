package policies

import (
	"strconv"
	"strings"
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
	&ruleKind{key: "bus.call", label: "call", check: checkGlob, meetFn: intersectGlobs, op: OpCall,
		prompt: "Call the service %s", short: "call:",
		field: func(g *Grants) *[]Rule { return &g.Call }, raw: func(t *Tables) *[]string { return &t.Bus.Call },
		covered: (*Namespace).AllowCall},
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
	&limitKind{key: "limits.gpu_memory", label: "gpu memory", read: ParseSize, write: FormatSize,
		field: func(g *Grants) *Limit { return &g.GPUMemory }, text: func(t *Tables) *Text { return &t.Limits.GPUMemory }},
	&limitKind{key: "limits.gpu_dispatches", label: "gpu rate", write: formatInt,
		show:  func(n int64) string { return strconv.FormatInt(n, 10) + " dispatches/s" },
		field: func(g *Grants) *Limit { return &g.GPUDispatches }, number: func(t *Tables) *int64 { return &t.Limits.GPUDispatches }},
	&limitKind{key: "limits.gpu_budget", label: "gpu budget", read: parseDuration, write: formatDuration,
		field: func(g *Grants) *Limit { return &g.GPUBudget }, text: func(t *Tables) *Text { return &t.Limits.GPUBudget }},
	httpKind{},
}

// Ceilings lists the limits g sets (ceilings only, not allowances), by key
// ("limits.gpu_memory" -> bytes, durations in nanoseconds): what a native driver enforcing
// limits of its own is told about a process (drivers.PeerInfo).
func Ceilings(g *Grants) map[string]int64 {
	out := map[string]int64{}
	for _, k := range kinds {
		if l, ok := k.(*limitKind); ok && !l.allowance && l.field(g).N > 0 {
			out[l.key] = l.field(g).N
		}
	}
	return out
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

// cutKey splits "bus.publish" into its table and key.
func cutKey(k string) (table, key string, ok bool) { return strings.Cut(k, ".") }

func joinComma(s []string) string { return strings.Join(s, ", ") }
