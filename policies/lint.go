package policies

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Finding is one line of `orbital policy check`: a file's problem at a line.
type Finding struct {
	File  string
	Line  int    // 0: the whole file
	Level string // "error", "warning" or "note"
	Msg   string
}

func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return loc + ": " + f.Level + ": " + f.Msg
}

// Report is the result of Check.
type Report struct {
	Checked  int       // files checked
	Findings []Finding // sorted by file and line
	Notes    []string  // about the check itself (what it could not do)
}

// Errors counts the findings at level "error".
func (r *Report) Errors() int {
	n := 0
	for _, f := range r.Findings {
		if f.Level == "error" {
			n++
		}
	}
	return n
}

// Check lints the policy files of home: every file (built-in and the user's) when files is
// empty, else just those files, each against the rest of the set in place of its installed
// copy. installed lists the installed modules (latest version of each); nil means there is no
// registry to ask, and the check for grants to modules that are not installed is skipped.
func Check(home string, files []string, installed []Identity) (*Report, error) {
	ex := DefaultExpand(home)
	all := Defaults(ex)
	user := LoadDir(filepath.Join(home, "policies"), ex)
	var checked []*Policy
	if len(files) == 0 {
		checked = append(append(checked, all...), user...)
	} else {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			abs, _ := filepath.Abs(f)
			p, _ := Parse(f, data, ex)
			checked = append(checked, p)
			user = slicesDeleteFunc(user, func(u *Policy) bool { ua, _ := filepath.Abs(u.File); return ua == abs })
		}
	}
	set := &Set{Policies: append(all, user...)}
	if len(files) > 0 {
		for _, p := range checked {
			if !p.Builtin {
				set.Policies = append(set.Policies, p)
			}
		}
	}
	r := &Report{Checked: len(checked)}
	for _, p := range checked {
		r.Findings = append(r.Findings, lintFile(p, ex)...)
	}
	r.Findings = append(r.Findings, lintOverlaps(set, checked, installed)...)
	_, conflicts := set.Routes()
	for _, c := range conflicts {
		for _, side := range []Route{c.A, c.B} {
			r.Findings = append(r.Findings, Finding{File: side.Src.File, Line: side.Src.Line, Level: "error", Msg: c.Error()})
		}
	}
	if installed == nil {
		r.Notes = append(r.Notes, "no module registry to ask; skipped the check for grants to modules that are not installed")
	}
	sort.SliceStable(r.Findings, func(i, j int) bool {
		if r.Findings[i].File != r.Findings[j].File {
			return r.Findings[i].File < r.Findings[j].File
		}
		return r.Findings[i].Line < r.Findings[j].Line
	})
	return r, nil
}

func slicesDeleteFunc(ps []*Policy, del func(*Policy) bool) []*Policy {
	out := ps[:0:0]
	for _, p := range ps {
		if !del(p) {
			out = append(out, p)
		}
	}
	return out
}

// lintFile reports a file's own problems: parse errors (a preopen of the home among them),
// warnings found while parsing and risky preopens.
func lintFile(p *Policy, ex Expand) []Finding {
	var out []Finding
	if p.Err != nil {
		var fes FileErrors
		if errors.As(p.Err, &fes) {
			for _, e := range fes {
				msg := e.Msg
				if e.Key != "" {
					msg = e.Key + ": " + msg
				}
				out = append(out, Finding{File: e.File, Line: e.Line, Level: "error", Msg: msg})
			}
		} else {
			out = append(out, Finding{File: p.File, Level: "error", Msg: p.Err.Error()})
		}
		return out
	}
	for _, w := range p.Warnings {
		out = append(out, Finding{File: w.File, Line: w.Line, Level: "warning", Msg: w.Key + ": " + w.Msg})
	}
	out = append(out, lintRedundant(p)...)
	for _, fsg := range p.Grants.FS {
		warn := func(format string, a ...any) {
			out = append(out, Finding{File: p.File, Line: fsg.Src.Line, Level: "warning", Msg: fmt.Sprintf(format, a...)})
		}
		st, err := os.Stat(fsg.Host)
		switch {
		case err != nil:
			warn("preopen %s does not exist (or cannot be read): the module will be refused at start", fsg.Host)
		case !st.IsDir():
			warn("preopen %s is not a directory", fsg.Host)
		case st.Mode().Perm()&0o002 != 0:
			warn("preopen %s is world-writable: any local user can plant or replace files the module sees", fsg.Host)
		}
		if hd := ex.UserHome; hd != "" && filepath.Clean(fsg.Host) == filepath.Clean(hd) {
			warn("preopen %s is your whole home directory: grant the one folder the module needs", fsg.Host)
		}
	}
	return out
}

// lintRedundant reports rules inside one file that another rule of the same list already
// covers, and two preopens at the same guest path.
func lintRedundant(p *Policy) []Finding {
	var out []Finding
	g := &p.Grants
	for _, l := range []struct {
		key   string
		rules []Rule
	}{{"bus.publish", g.Publish}, {"bus.subscribe", g.Subscribe}, {"bus.request", g.Request}} {
		for i, r := range l.rules {
			for j, o := range l.rules {
				if i == j || !Covers(o.Value, r.Value) || (r.Value == o.Value && i < j) {
					continue
				}
				out = append(out, Finding{File: p.File, Line: r.Src.Line, Level: "warning",
					Msg: fmt.Sprintf("%s: %q is already covered by %q (line %d); remove one", l.key, r.Value, o.Value, o.Src.Line)})
				break
			}
		}
	}
	seen := map[string]Preopen{}
	for _, f := range g.FS {
		if prev, ok := seen[f.Guest]; ok {
			out = append(out, Finding{File: p.File, Line: f.Src.Line, Level: "error",
				Msg: fmt.Sprintf("guest path %s is preopened twice (also line %d): the module would see only one of them", f.Guest, prev.Src.Line)})
			continue
		}
		seen[f.Guest] = f
	}
	return out
}

func literalMatch(m string) bool {
	return !strings.ContainsAny(m, `*?[\`) && !strings.HasPrefix(m, "publisher:")
}

// lintOverlaps reports files that tie or shadow each other, and grants for modules that are not
// installed.
func lintOverlaps(set *Set, checked []*Policy, installed []Identity) []Finding {
	var out []Finding
	isChecked := map[*Policy]bool{}
	for _, p := range checked {
		isChecked[p] = true
	}
	// Names to test the rules against: every exact match in any file, plus installed modules.
	names := map[string]Identity{}
	for _, p := range set.Policies {
		if p.Err == nil && literalMatch(p.Match) {
			names[p.Match] = Identity{Name: p.Match}
		}
	}
	isInstalled := map[string]bool{}
	for _, m := range installed {
		isInstalled[m.Name] = true
		names[m.Name] = Identity{Name: m.Name, Publisher: m.Publisher}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		out = append(out, lintCandidates(set.Candidates(names[n]), n, isChecked)...)
	}
	if installed == nil {
		return out
	}
	for _, p := range checked {
		if p.Err == nil && !p.Builtin && literalMatch(p.Match) && !isInstalled[p.Match] {
			out = append(out, Finding{File: p.File, Line: p.MatchLine, Level: "warning",
				Msg: fmt.Sprintf("grants to module %q, which is not installed (a .wasm run by path with that file name still gets it)", p.Match)})
		}
	}
	return out
}

// lintCandidates reports, for module n, the checked files among its candidates that tie with
// or are shadowed by another.
func lintCandidates(cands []*Policy, n string, isChecked map[*Policy]bool) []Finding {
	var valid []*Policy
	for _, c := range cands {
		if c.Err == nil {
			valid = append(valid, c)
		}
	}
	if len(valid) < 2 {
		return nil
	}
	var out []Finding
	top := valid[0]
	tied := SamePrecedence(valid[0], valid[1])
	for _, c := range valid {
		if !isChecked[c] {
			continue
		}
		f := Finding{File: c.File, Line: c.MatchLine, Level: "warning"}
		switch {
		case tied && SamePrecedence(c, top):
			f.Level = "error"
			f.Msg = fmt.Sprintf("match %q ties with another file for module %s: the module is refused until one is removed or made more specific", c.Match, n)
		case c != top && tied:
			f.Msg = fmt.Sprintf("match %q is shadowed for module %s by files that tie (%s)", c.Match, n, top.File)
		case c != top:
			f.Msg = fmt.Sprintf("match %q is shadowed for module %s by %s (match %q), which applies instead", c.Match, n, top.File, top.Match)
		default:
			for _, o := range valid[1:] {
				if o.Builtin {
					out = append(out, Finding{File: c.File, Line: c.MatchLine, Level: "note",
						Msg: fmt.Sprintf("replaces the built-in policy %s for module %s", o.File, n)})
				}
			}
			continue
		}
		out = append(out, f)
	}
	return out
}
