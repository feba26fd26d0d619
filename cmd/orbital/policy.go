package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/system"
)

func policyExplain(c *command, args []string) int {
	home, code, ok := c.withHome().parseHome(args, 1, 1)
	if !ok {
		return code
	}
	st, err := policies.Open(home)
	if err != nil {
		return c.fail(err)
	}
	id := system.InstalledIdentity(home, c.Arg(0))
	ns, err := st.Resolve(id)
	if err != nil {
		fmt.Fprintf(c.stdout, "module:  %s\npolicy:  REFUSED: %v\n", id.Name, err)
		return 1
	}
	ns.Explain(c.stdout)
	if id.Requests != nil {
		fmt.Fprintln(c.stdout, "(effective = what the manifest requests ∩ what the policy grants)")
	}
	if d, err := policies.OpenDenials(home); err != nil {
		c.fail(err)
	} else if es := d.For(id.Name); len(es) > 0 {
		for _, e := range es {
			fmt.Fprintf(c.stdout, "denied in the shell on %s: %s\n", e.Time.Local().Format("2006-01-02 15:04"), strings.Join(e.Lines, ", "))
		}
		fmt.Fprintf(c.stdout, "(not asked again; orbital policy forget %s makes the shell ask again)\n", id.Name)
	}
	return 0
}

// policyForget removes a module's "Deny" answers, so the shell asks again.
func policyForget(c *command, args []string) int {
	home, code, ok := c.withHome().parseHome(args, 1, 1)
	if !ok {
		return code
	}
	d, err := policies.OpenDenials(home)
	if err != nil {
		return c.fail(err)
	}
	name := system.ModuleName(c.Arg(0))
	n, err := d.Forget(name)
	switch {
	case err != nil:
		return c.fail(err)
	case n == 0:
		fmt.Fprintf(c.stdout, "nothing to forget: %s has no denied permission prompts\n", name)
	default:
		fmt.Fprintf(c.stdout, "forgot %d denied prompt(s) of %s: the shell asks again next time it opens\n", n, name)
	}
	return 0
}

func policyNew(c *command, args []string) int {
	force := c.withHome().Bool("force", false, "replace an existing policy file")
	toStdout := c.Bool("stdout", false, "print the file instead of writing it")
	home, code, ok := c.parseHome(args, 1, 1)
	if !ok {
		return code
	}
	id := system.InstalledIdentity(home, c.Arg(0))
	data := policies.Template(id.Name, id.Requests)
	if *toStdout {
		c.stdout.Write(data)
		return 0
	}
	path, err := policies.WriteFile(filepath.Join(home, "policies"), id.Name, data, *force)
	if errors.Is(err, fs.ErrExist) {
		return c.failf(1, "%s already exists; edit it, or use --force to start over", path)
	}
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "wrote %s\nedit it, then check with: orbital policy check %s\n", path, path)
	return 0
}

func policyCheck(c *command, args []string) int {
	home, code, ok := c.withHome().parseHome(args, 0, -1)
	if !ok {
		return code
	}
	installed, err := system.InstalledIdentities(home)
	if err != nil {
		installed = nil // unknown: the check cannot say which modules a policy matches
	}
	r, err := policies.Check(home, c.Args(), installed)
	if err != nil {
		return c.failf(exitUsage, "%v", err)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(c.stdout, "note: "+n)
	}
	for _, f := range r.Findings {
		fmt.Fprintln(c.stdout, f)
	}
	errs := r.Errors()
	fmt.Fprintf(c.stdout, "%d file(s) checked: %d error(s), %d warning(s)\n", r.Checked, errs, len(r.Findings)-errs)
	if errs > 0 {
		return 1
	}
	return 0
}

func auditVerb(c *command, args []string) int {
	module := c.withHome().String("module", "", "only denials of this module")
	n := c.Int("n", 50, "show the last N records (0: all)")
	home, code, ok := c.parseHome(args, 0, 0)
	if !ok {
		return code
	}
	if *n < 0 {
		return c.failf(exitUsage, "-n %d: must be 0 or more", *n)
	}
	path := policies.AuditFile(home)
	recs, err := policies.LastAudit(path, *module, *n)
	if err != nil {
		return c.fail(err)
	}
	if len(recs) == 0 {
		fmt.Fprintf(c.stdout, "no denials recorded in %s\n", path)
		return 0
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tPID\tMODULE\tOP\tOBJECT\tRULE")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04:05.000"), r.PID, r.Module, r.Op, r.Object, r.Rule)
	}
	tw.Flush()
	return 0
}
