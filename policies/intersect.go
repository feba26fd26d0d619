package policies

import (
	"path"
	"path/filepath"
	"strings"
)

// Intersect returns what both a and b allow: a manifest's requests (a) against policy (b), or a
// parent's namespace (a) against a child's (b) when a module spawns another, so a child never
// holds more than its parent. Sources, argument lists and env values come from b; ceilings
// (memory, deadline, fuel, surface size) take the smaller set value.
func Intersect(a, b *Grants) *Grants {
	g := &Grants{}
	for _, k := range kinds {
		k.meet(a, b, g)
	}
	return g
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	if p == "" || dir == "" {
		return false
	}
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}

func minMode(a, b Mode) Mode {
	if a < b {
		return a
	}
	return b
}

// intersectFS keeps, for each pair, the narrower of two nested host directories; a request that
// names only a guest path gets the grant with that guest path.
func intersectFS(a, b []Preopen) []Preopen {
	var out []Preopen
	seen := map[string]int{}
	add := func(p Preopen) {
		if i, ok := seen[p.Guest]; ok {
			if out[i].Host == p.Host && p.Mode > out[i].Mode {
				out[i].Mode = p.Mode
			}
			return
		}
		seen[p.Guest] = len(out)
		out = append(out, p)
	}
	for _, x := range a {
		for _, y := range b {
			m := minMode(x.Mode, y.Mode)
			switch {
			case x.Host != "" && within(y.Host, x.Host):
				add(Preopen{Host: y.Host, Guest: y.Guest, Mode: m, Src: y.Src})
			case x.Host != "" && within(x.Host, y.Host):
				add(Preopen{Host: x.Host, Guest: x.Guest, Mode: m, Src: y.Src})
			case x.Host == "" && x.Guest == y.Guest:
				add(Preopen{Host: y.Host, Guest: y.Guest, Mode: m, Src: y.Src})
			}
		}
	}
	return out
}

func envKey(r Rule) string {
	n, _, _ := strings.Cut(r.Value, "=")
	return n
}

func intersectEnv(a, b []Rule) []Rule {
	want := map[string]bool{}
	for _, r := range a {
		want[envKey(r)] = true
	}
	var out []Rule
	for _, r := range b {
		if want[envKey(r)] {
			out = append(out, r)
		}
	}
	return out
}

func intersectTopics(a, b []Rule) []Rule {
	var out []Rule
	seen := map[string]bool{}
	for _, x := range a {
		for _, y := range b {
			if p, ok := IntersectPatterns(x.Value, y.Value); ok && !seen[p] {
				seen[p] = true
				out = append(out, Rule{Value: p, Src: y.Src})
			}
		}
	}
	return out
}

func globMatch(pattern, s string) bool {
	ok, _ := path.Match(pattern, s)
	return ok
}

// intersectGlobs keeps each value of one side that a pattern of the other side matches.
func intersectGlobs(a, b []Rule) []Rule {
	var out []Rule
	seen := map[string]bool{}
	add := func(v string, src Source) {
		if !seen[v] {
			seen[v] = true
			out = append(out, Rule{Value: v, Src: src})
		}
	}
	for _, x := range a {
		for _, y := range b {
			switch {
			case x.Value == y.Value || globMatch(y.Value, x.Value):
				add(x.Value, y.Src)
			case globMatch(x.Value, y.Value):
				add(y.Value, y.Src)
			}
		}
	}
	return out
}

func andFlag(a, b Flag) Flag {
	if a.On && b.On {
		return b
	}
	return Flag{}
}

// minCeiling: 0 is "not set", otherwise the smaller wins.
func minCeiling(a, b Limit) Limit {
	switch {
	case a.N == 0:
		return b
	case b.N == 0:
		return a
	case a.N < b.N:
		return a
	}
	return b
}

// minAllowance: 0 grants nothing, otherwise the smaller wins.
func minAllowance(a, b Limit) Limit {
	if a.N == 0 || b.N == 0 {
		return Limit{}
	}
	if a.N < b.N {
		return a
	}
	return b
}
