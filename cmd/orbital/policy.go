package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/orbital/orbital/policies"
)

func init() {
	register(verb{
		Name:  "policy",
		Usage: "policy check [FILES] | explain MODULE | new MODULE | forget MODULE",
		Short: "lint policy files, show a module's effective namespace, write a starting policy, forget denials",
		Run:   policyVerb,
	})
}

// installedModule is what the policy verbs need to know about an installed module.
type installedModule struct {
	Name      string
	Publisher string
	Requests  *policies.Grants // from the manifest's [permissions]
}

// installedModules lists the registry's installed modules (latest version of each). It is set
// by the registry wiring (registry.go); nil means there is no registry to ask, and the
// checks that need it are skipped with a note.
var installedModules func(home string) ([]installedModule, error)

func policyVerb(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "usage: orbital policy check [--home DIR] [FILES]")
		fmt.Fprintln(stderr, "       orbital policy explain [--home DIR] MODULE")
		fmt.Fprintln(stderr, "       orbital policy new [--home DIR] [--force] [--stdout] MODULE")
		fmt.Fprintln(stderr, "       orbital policy forget [--home DIR] MODULE")
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	switch args[0] {
	case "check":
		return policyCheck(args[1:], stdout, stderr)
	case "explain":
		return policyExplain(args[1:], stdout, stderr)
	case "new":
		return policyNew(args[1:], stdout, stderr)
	case "forget":
		return policyForget(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "orbital policy: unknown subcommand %q (want check, explain, new or forget)\n", args[0])
	return exitUsage
}

// moduleName is the name a TARGET runs under: a .wasm path is named after its file.
func moduleName(target string) string {
	if strings.HasSuffix(target, ".wasm") || strings.ContainsRune(target, os.PathSeparator) {
		return strings.TrimSuffix(filepath.Base(target), ".wasm")
	}
	return target
}

// lookupInstalled finds an installed module by name; ok is false when there is no registry or
// no such module.
func lookupInstalled(home, name string) (installedModule, bool) {
	if installedModules == nil {
		return installedModule{}, false
	}
	mods, err := installedModules(home)
	if err != nil {
		return installedModule{}, false
	}
	for _, m := range mods {
		if m.Name == name {
			return m, true
		}
	}
	return installedModule{}, false
}

func policyExplain(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("policy explain", stderr)
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: orbital policy explain [--home DIR] MODULE")
		return exitUsage
	}
	dir, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return exitUsage
	}
	st, err := policies.Open(dir)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	id := policies.Identity{Name: moduleName(fs.Arg(0))}
	if m, ok := lookupInstalled(dir, id.Name); ok {
		id.Publisher, id.Requests = m.Publisher, m.Requests
	}
	ns, err := st.Resolve(id)
	if err != nil {
		fmt.Fprintf(stdout, "module:  %s\npolicy:  REFUSED: %v\n", id.Name, err)
		return 1
	}
	ns.Explain(stdout)
	if id.Requests != nil {
		fmt.Fprintln(stdout, "(effective = what the manifest requests ∩ what the policy grants)")
	}
	if d, err := policies.OpenDenials(dir); err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
	} else if es := d.For(id.Name); len(es) > 0 {
		for _, e := range es {
			fmt.Fprintf(stdout, "denied in the shell on %s: %s\n", e.Time.Local().Format("2006-01-02 15:04"), strings.Join(e.Lines, ", "))
		}
		fmt.Fprintf(stdout, "(not asked again; orbital policy forget %s makes the shell ask again)\n", id.Name)
	}
	return 0
}

// policyForget removes a module's "Deny" answers, so the shell asks again.
func policyForget(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("policy forget", stderr)
	home := fs.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: orbital policy forget [--home DIR] MODULE")
		return exitUsage
	}
	dir, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return exitUsage
	}
	d, err := policies.OpenDenials(dir)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	name := moduleName(fs.Arg(0))
	n, err := d.Forget(name)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	case n == 0:
		fmt.Fprintf(stdout, "nothing to forget: %s has no denied permission prompts\n", name)
	default:
		fmt.Fprintf(stdout, "forgot %d denied prompt(s) of %s: the shell asks again next time it opens\n", n, name)
	}
	return 0
}

func policyNew(args []string, stdout, stderr io.Writer) int {
	fset := newFlagSet("policy new", stderr)
	home := fset.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	force := fset.Bool("force", false, "replace an existing policy file")
	toStdout := fset.Bool("stdout", false, "print the file instead of writing it")
	if code, ok := parseFlags(fset, args); !ok {
		return code
	}
	if fset.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: orbital policy new [--home DIR] [--force] [--stdout] MODULE")
		return exitUsage
	}
	dir, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return exitUsage
	}
	name := moduleName(fset.Arg(0))
	var req *policies.Grants
	if m, ok := lookupInstalled(dir, name); ok {
		req = m.Requests
	}
	data := policies.Template(name, req)
	if *toStdout {
		stdout.Write(data)
		return 0
	}
	path, err := policies.WriteFile(filepath.Join(dir, "policies"), name, data, *force)
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(stderr, "orbital: %s already exists; edit it, or use --force to start over\n", path)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s\nedit it, then check with: orbital policy check %s\n", path, path)
	return 0
}

// finding is one line of `policy check` output.
type finding struct {
	file, level, msg string
	line             int
}

func policyCheck(args []string, stdout, stderr io.Writer) int {
	fset := newFlagSet("policy check", stderr)
	home := fset.String("home", "", "Orbital home (default $ORBITAL_HOME)")
	if code, ok := parseFlags(fset, args); !ok {
		return code
	}
	dir, err := orbitalHome(*home)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return exitUsage
	}
	ex := policies.DefaultExpand(dir)
	all := policies.Defaults(ex)
	user := policies.LoadDir(filepath.Join(dir, "policies"), ex)
	var checked []*policies.Policy
	if fset.NArg() == 0 {
		checked = append(append(checked, all...), user...)
	} else {
		for _, f := range fset.Args() {
			data, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintf(stderr, "orbital: %v\n", err)
				return exitUsage
			}
			abs, _ := filepath.Abs(f)
			p, _ := policies.Parse(f, data, ex)
			checked = append(checked, p)
			// Lint the file against the rest of the set, in place of its installed copy.
			for i, u := range user {
				if ua, _ := filepath.Abs(u.File); ua == abs {
					user = append(user[:i], user[i+1:]...)
					break
				}
			}
		}
	}
	set := &policies.Set{Policies: append(all, user...)}
	if fset.NArg() > 0 {
		set.Policies = append(set.Policies, nonDefault(checked)...)
	}
	var out []finding
	for _, p := range checked {
		out = append(out, lintFile(p)...)
	}
	out = append(out, lintOverlaps(set, checked, dir, stdout)...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].file != out[j].file {
			return out[i].file < out[j].file
		}
		return out[i].line < out[j].line
	})
	errs := 0
	for _, f := range out {
		loc := f.file
		if f.line > 0 {
			loc = fmt.Sprintf("%s:%d", f.file, f.line)
		}
		fmt.Fprintf(stdout, "%s: %s: %s\n", loc, f.level, f.msg)
		if f.level == "error" {
			errs++
		}
	}
	fmt.Fprintf(stdout, "%d file(s) checked: %d error(s), %d warning(s)\n", len(checked), errs, len(out)-errs)
	if errs > 0 {
		return 1
	}
	return 0
}

func nonDefault(checked []*policies.Policy) []*policies.Policy {
	var out []*policies.Policy
	for _, p := range checked {
		if !p.Builtin {
			out = append(out, p)
		}
	}
	return out
}

// lintFile reports a file's own problems: parse errors and risky preopens.
func lintFile(p *policies.Policy) []finding {
	var out []finding
	if p.Err != nil {
		var fes policies.FileErrors
		if errors.As(p.Err, &fes) {
			for _, e := range fes {
				msg := e.Msg
				if e.Key != "" {
					msg = e.Key + ": " + msg
				}
				out = append(out, finding{file: e.File, line: e.Line, level: "error", msg: msg})
			}
		} else {
			out = append(out, finding{file: p.File, level: "error", msg: p.Err.Error()})
		}
		return out
	}
	out = append(out, lintRedundant(p)...)
	for _, fsg := range p.Grants.FS {
		st, err := os.Stat(fsg.Host)
		switch {
		case err != nil:
			out = append(out, finding{file: p.File, line: fsg.Src.Line, level: "warning",
				msg: fmt.Sprintf("preopen %s does not exist (or cannot be read): the module will be refused at start", fsg.Host)})
		case !st.IsDir():
			out = append(out, finding{file: p.File, line: fsg.Src.Line, level: "warning",
				msg: fmt.Sprintf("preopen %s is not a directory", fsg.Host)})
		case st.Mode().Perm()&0o002 != 0:
			out = append(out, finding{file: p.File, line: fsg.Src.Line, level: "warning",
				msg: fmt.Sprintf("preopen %s is world-writable: any local user can plant or replace files the module sees", fsg.Host)})
		}
	}
	return out
}

// lintRedundant reports rules inside one file that another rule of the same list already
// covers, and two preopens at the same guest path.
func lintRedundant(p *policies.Policy) []finding {
	var out []finding
	g := &p.Grants
	for _, l := range []struct {
		key   string
		rules []policies.Rule
	}{{"bus.publish", g.Publish}, {"bus.subscribe", g.Subscribe}, {"bus.request", g.Request}} {
		for i, r := range l.rules {
			for j, o := range l.rules {
				if i == j || !policies.Covers(o.Value, r.Value) || (r.Value == o.Value && i < j) {
					continue
				}
				out = append(out, finding{file: p.File, line: r.Src.Line, level: "warning",
					msg: fmt.Sprintf("%s: %q is already covered by %q (line %d); remove one", l.key, r.Value, o.Value, o.Src.Line)})
				break
			}
		}
	}
	seen := map[string]policies.Preopen{}
	for _, f := range g.FS {
		if prev, ok := seen[f.Guest]; ok {
			out = append(out, finding{file: p.File, line: f.Src.Line, level: "error",
				msg: fmt.Sprintf("guest path %s is preopened twice (also line %d): the module would see only one of them", f.Guest, prev.Src.Line)})
			continue
		}
		seen[f.Guest] = f
	}
	return out
}

// lintOverlaps reports files that tie or shadow each other, and grants for modules that are not
// installed.
func lintOverlaps(set *policies.Set, checked []*policies.Policy, home string, stdout io.Writer) []finding {
	var out []finding
	isChecked := map[*policies.Policy]bool{}
	for _, p := range checked {
		isChecked[p] = true
	}
	// Names to test the rules against: every exact match in any file, plus installed modules.
	names := map[string]policies.Identity{}
	for _, p := range set.Policies {
		if p.Err == nil && !strings.ContainsAny(p.Match, `*?[\`) && !strings.HasPrefix(p.Match, "publisher:") {
			names[p.Match] = policies.Identity{Name: p.Match}
		}
	}
	var installed map[string]bool
	if installedModules != nil {
		if mods, err := installedModules(home); err == nil {
			installed = map[string]bool{}
			for _, m := range mods {
				installed[m.Name] = true
				names[m.Name] = policies.Identity{Name: m.Name, Publisher: m.Publisher}
			}
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		cands := set.Candidates(names[n])
		if len(cands) < 2 {
			continue
		}
		var valid []*policies.Policy
		for _, c := range cands {
			if c.Err == nil {
				valid = append(valid, c)
			}
		}
		if len(valid) < 2 {
			continue
		}
		top := valid[0]
		tied := policies.SamePrecedence(valid[0], valid[1])
		for _, c := range valid {
			if !isChecked[c] {
				continue
			}
			switch {
			case tied && policies.SamePrecedence(c, top):
				out = append(out, finding{file: c.File, line: c.MatchLine, level: "error",
					msg: fmt.Sprintf("match %q ties with another file for module %s: the module is refused until one is removed or made more specific", c.Match, n)})
			case c != top && tied:
				out = append(out, finding{file: c.File, line: c.MatchLine, level: "warning",
					msg: fmt.Sprintf("match %q is shadowed for module %s by files that tie (%s)", c.Match, n, top.File)})
			case c != top:
				out = append(out, finding{file: c.File, line: c.MatchLine, level: "warning",
					msg: fmt.Sprintf("match %q is shadowed for module %s by %s (match %q), which applies instead", c.Match, n, top.File, top.Match)})
			default:
				for _, o := range valid[1:] {
					if o.Builtin {
						out = append(out, finding{file: c.File, line: c.MatchLine, level: "note",
							msg: fmt.Sprintf("replaces the built-in policy %s for module %s", o.File, n)})
					}
				}
			}
		}
	}
	if installed == nil {
		fmt.Fprintln(stdout, "note: no module registry to ask; skipped the check for grants to modules that are not installed")
		return out
	}
	for _, p := range checked {
		if p.Err != nil || p.Builtin || strings.ContainsAny(p.Match, `*?[\`) || strings.HasPrefix(p.Match, "publisher:") {
			continue
		}
		if !installed[p.Match] {
			out = append(out, finding{file: p.File, line: p.MatchLine, level: "warning",
				msg: fmt.Sprintf("grants to module %q, which is not installed (a .wasm run by path with that file name still gets it)", p.Match)})
		}
	}
	return out
}
