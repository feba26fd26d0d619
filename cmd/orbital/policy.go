package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/system"
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
type installedModule = system.InstalledModule

// installedModules lists the registry's installed modules (latest version of each).
var installedModules = system.InstalledModules

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
	var installed []policies.Identity
	if installedModules != nil {
		if mods, err := installedModules(dir); err == nil {
			installed = []policies.Identity{}
			for _, m := range mods {
				installed = append(installed, policies.Identity{Name: m.Name, Publisher: m.Publisher})
			}
		}
	}
	r, err := policies.Check(dir, fset.Args(), installed)
	if err != nil {
		fmt.Fprintf(stderr, "orbital: %v\n", err)
		return exitUsage
	}
	for _, n := range r.Notes {
		fmt.Fprintln(stdout, "note: "+n)
	}
	for _, f := range r.Findings {
		fmt.Fprintln(stdout, f)
	}
	errs := r.Errors()
	fmt.Fprintf(stdout, "%d file(s) checked: %d error(s), %d warning(s)\n", r.Checked, errs, len(r.Findings)-errs)
	if errs > 0 {
		return 1
	}
	return 0
}
