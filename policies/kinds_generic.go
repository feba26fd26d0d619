package policies

import (
	"fmt"
	"strconv"
	"time"
)

// The generic kinds: most rows of the table are a list of rules, a flag or a number.

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
