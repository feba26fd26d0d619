package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/orbital/orbital/registry"
)

func init() {
	register(verb{
		Name:  "info",
		Usage: "info NAME[@RANGE]",
		Short: "show an installed module's manifest, digests, signature and dependencies",
		Run:   infoVerb,
	})
}

func infoVerb(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("info", stderr)
	rf := addRegistryFlags(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "orbital info: want one NAME[@RANGE]")
		return exitUsage
	}
	reg, err := rf.open()
	if err != nil {
		return fail(stderr, "info", err)
	}
	ref := registry.ParseRef(fs.Arg(0))
	rec, err := reg.Best(ref.Name, ref.Range)
	if err != nil {
		return fail(stderr, "info", err)
	}
	res, err := reg.Load(rec)
	if err != nil {
		return fail(stderr, "info", err)
	}
	m := res.Manifest
	p := func(k, f string, a ...any) { fmt.Fprintf(stdout, "%-13s %s\n", k+":", fmt.Sprintf(f, a...)) }
	p("name", "%s", m.Name)
	p("version", "%s", m.Version)
	p("kind", "%s", m.Kind)
	if m.Description != "" {
		p("description", "%s", m.Description)
	}
	if len(m.Tags) > 0 {
		p("tags", "%s", strings.Join(m.Tags, ", "))
	}
	p("entry", "%s %s (verified)", m.Entry, m.EntryDigest)
	p("blob", "%s", res.Path)
	if len(m.Exports) > 0 {
		p("exports", "%s", strings.Join(m.Exports, ", "))
	}
	for _, d := range slices.Sorted(maps.Keys(m.Dependencies)) {
		status := "missing"
		if have, err := reg.Best(d, m.Dependencies[d]); err == nil {
			status = "uses " + have.ID()
		}
		p("depends on", "%s %s (%s)", d, m.Dependencies[d], status)
	}
	if m.Triggers.Boot || len(m.Triggers.Topics)+len(m.Triggers.Schedule)+len(m.Triggers.URLSchemes) > 0 {
		p("triggers", "boot=%v topics=%v schedule=%v url_schemes=%v", m.Triggers.Boot, m.Triggers.Topics, m.Triggers.Schedule, m.Triggers.URLSchemes)
	}
	if req := strings.TrimSpace(string(m.RequestsTOML())); req != "" {
		fmt.Fprintf(stdout, "permissions:\n  %s\n", strings.ReplaceAll(req, "\n", "\n  "))
	}
	if m.Signature != "" {
		trusted := "not in the trust list"
		if tr, err := registry.LoadTrust(reg.TrustPath()); err == nil && tr.Trusted(m.Publisher) {
			trusted = "trusted"
		}
		valid := "signature valid"
		if err := registry.VerifySignature(m); err != nil {
			valid = "SIGNATURE INVALID: " + err.Error()
		}
		p("signed by", "%s (%s, %s)", m.Publisher, valid, trusted)
	} else {
		p("signed by", "nobody (unsigned)")
	}
	p("source", "%s", rec.Source)
	p("installed", "%s", rec.InstalledAt.Format("2006-01-02 15:04:05 MST"))
	if recs, err := reg.List(m.Name); err == nil && len(recs) > 1 {
		var vs []string
		for _, r := range recs {
			vs = append(vs, r.Version)
		}
		p("versions", "%s", strings.Join(vs, ", "))
	}
	return 0
}
