package policies

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The kinds with a shape of their own: preopens, the environment, regions, windows.

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
