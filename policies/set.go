package policies

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Identity is what a module is known by when its namespace is resolved.
type Identity struct {
	Name      string  // registry name, or a bare .wasm's file name without the extension
	Publisher string  // the manifest's publisher key; "" when unsigned or bare
	Requests  *Grants // the manifest's requested permissions; nil for a bare .wasm
}

// Policy is one policy file: which modules it is for and what it grants.
type Policy struct {
	File      string // path, or "built-in:<name>.toml"
	Builtin   bool
	Match     string // module name, glob, or "publisher:<key>"; recovered from a broken file if possible
	MatchLine int
	Grants    Grants
	Err       error        // non-nil: the file is broken and refuses every module it may apply to
	Warnings  []*FileError // what policy check should point out in a file that loads
}

type matchKind int

const (
	matchGlob matchKind = iota + 1
	matchPublisher
	matchName
)

func (p *Policy) kind() matchKind {
	switch {
	case strings.HasPrefix(p.Match, "publisher:"):
		return matchPublisher
	case strings.ContainsAny(p.Match, `*?[\`):
		return matchGlob
	}
	return matchName
}

// Matches reports whether the policy is for the module.
func (p *Policy) Matches(id Identity) bool {
	switch p.kind() {
	case matchPublisher:
		return id.Publisher != "" && strings.TrimPrefix(p.Match, "publisher:") == id.Publisher
	case matchGlob:
		ok, _ := path.Match(p.Match, id.Name)
		return ok
	}
	return p.Match == id.Name
}

// rank orders matching policies: an exact name beats a publisher key beats a glob; at the same
// kind a user file beats a built-in default; among globs the one with more literal characters
// (the more specific) wins.
type rank struct {
	kind    matchKind
	user    bool
	literal int
}

func (p *Policy) rank() rank {
	r := rank{kind: p.kind(), user: !p.Builtin}
	if r.kind == matchGlob {
		r.literal = len(p.Match) - strings.Count(p.Match, "*") - strings.Count(p.Match, "?")
	}
	return r
}

func (a rank) less(b rank) bool {
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	if a.user != b.user {
		return !a.user
	}
	return a.literal < b.literal
}

// SamePrecedence reports whether a and b tie when both match a module.
func SamePrecedence(a, b *Policy) bool { return a.rank() == b.rank() }

// Set is every policy file known: the built-in defaults and the user's files.
type Set struct {
	Policies []*Policy
}

// Candidates returns the policies that match the module, the one that applies first.
// Broken files whose target could not be recovered are included: they might apply.
func (s *Set) Candidates(id Identity) []*Policy {
	var out []*Policy
	for _, p := range s.Policies {
		if (p.Err != nil && p.Match == "") || p.Matches(id) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := out[i].rank(), out[j].rank()
		if ri != rj {
			return rj.less(ri)
		}
		return out[i].File < out[j].File
	})
	return out
}

// Lookup returns the policy that applies to the module, nil when none does (default deny).
// A broken file that could apply, or two files tied at the top, refuse the module: a
// mistake in policy never widens access.
func (s *Set) Lookup(id Identity) (*Policy, error) {
	cands := s.Candidates(id)
	var top *Policy
	for _, p := range cands {
		if p.Err == nil {
			top = p
			break
		}
	}
	for _, p := range cands {
		if p.Err == nil {
			continue
		}
		if p.Match == "" || top == nil || !p.rank().less(top.rank()) {
			return nil, fmt.Errorf("%w for %s (fix it, then check with 'orbital policy check'): %v", ErrBroken, id.Name, p.Err)
		}
	}
	if top == nil {
		return nil, nil
	}
	for _, p := range cands {
		if p != top && p.Err == nil && p.rank() == top.rank() {
			return nil, fmt.Errorf("%w: %s and %s both match %s at the same precedence; remove one or make one more specific",
				ErrAmbiguous, top.File, p.File, id.Name)
		}
	}
	return top, nil
}

// Resolve computes the module's effective namespace: what its manifest requests intersected
// with what policy grants (a bare .wasm, with no manifest, gets exactly what policy grants).
// No matching policy is not an error: the namespace denies everything and says how to grant.
func (s *Set) Resolve(id Identity) (*Namespace, error) {
	p, err := s.Lookup(id)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return newNamespace(id, nil, &Grants{}), nil
	}
	g := p.Grants.Clone()
	if id.Requests != nil {
		g = Intersect(id.Requests, g)
	}
	return newNamespace(id, p, g), nil
}
