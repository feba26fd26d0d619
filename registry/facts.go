package registry

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Fact is one entry of what `orbital info` shows of an installed module.
type Fact struct {
	Key, Value string
	Block      bool // Value is several lines (a TOML table), shown under the key
}

// Facts describes the installed version rec after loading it (which verifies its digests):
// its manifest, its entry, its dependencies as they resolve now, its triggers and requested
// permissions, who signed it (whether the signature holds and the key is trusted), where it
// came from and which versions are installed.
func (r *Registry) Facts(rec *Record) ([]Fact, error) {
	res, err := r.Load(rec)
	if err != nil {
		return nil, err
	}
	m := res.Manifest
	var fs []Fact
	add := func(k, f string, a ...any) { fs = append(fs, Fact{Key: k, Value: fmt.Sprintf(f, a...)}) }
	add("name", "%s", m.Name)
	add("version", "%s", m.Version)
	add("kind", "%s", m.Kind)
	if m.Description != "" {
		add("description", "%s", m.Description)
	}
	if len(m.Tags) > 0 {
		add("tags", "%s", strings.Join(m.Tags, ", "))
	}
	add("entry", "%s %s (verified)", m.Entry, m.EntryDigest)
	add("blob", "%s", res.Path)
	if len(m.Exports) > 0 {
		add("exports", "%s", strings.Join(m.Exports, ", "))
	}
	for _, d := range slices.Sorted(maps.Keys(m.Dependencies)) {
		status := "missing"
		if have, err := r.Best(d, m.Dependencies[d]); err == nil {
			status = "uses " + have.ID()
		}
		add("depends on", "%s %s (%s)", d, m.Dependencies[d], status)
	}
	if t := m.Triggers; t.Boot || len(t.Topics)+len(t.Schedule)+len(t.URLSchemes) > 0 {
		add("triggers", "boot=%v topics=%v schedule=%v url_schemes=%v", t.Boot, t.Topics, t.Schedule, t.URLSchemes)
	}
	if req := strings.TrimSpace(string(m.RequestsTOML())); req != "" {
		fs = append(fs, Fact{Key: "permissions", Value: req, Block: true})
	}
	add("signed by", "%s", r.signedBy(m))
	add("source", "%s", rec.Source)
	add("installed", "%s", rec.InstalledAt.Format("2006-01-02 15:04:05 MST"))
	if recs, err := r.List(m.Name); err == nil && len(recs) > 1 {
		var vs []string
		for _, v := range recs {
			vs = append(vs, v.Version)
		}
		add("versions", "%s", strings.Join(vs, ", "))
	}
	return fs, nil
}

// signedBy says who signed m, whether the signature holds and whether the key is trusted.
func (r *Registry) signedBy(m *Manifest) string {
	if m.Signature == "" {
		return "nobody (unsigned)"
	}
	trusted := "not in the trust list"
	if tr, err := LoadTrust(r.TrustPath()); err == nil && tr.Trusted(m.Publisher) {
		trusted = "trusted"
	}
	valid := "signature valid"
	if err := VerifySignature(m); err != nil {
		valid = "SIGNATURE INVALID: " + err.Error()
	}
	return fmt.Sprintf("%s (%s, %s)", m.Publisher, valid, trusted)
}
