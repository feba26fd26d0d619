package policies

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Asking the user. The shell asks when a module it opens requests (in its manifest) more than
// policy grants, and when policy refuses a running module at a door it waits at anyway (a
// fetch, a spawn, the clipboard: the kernel's Asker). These are the decisions behind both
// questions; the shell only shows the card and reports the choice.

// OpenQuestion is what to ask when a module opens: what its manifest requests beyond policy.
type OpenQuestion struct {
	Module  string
	Digest  string   // the module version asked about (a Deny is remembered for it)
	Missing *Grants  // requested but not granted
	Lines   []string // Describe(Missing): the card's lines
	ns      *Namespace
}

// AskAtOpen returns the question to ask before module id (at digest) opens, or nil when
// there is nothing to ask: no manifest, nothing missing, or a policy that refuses the module
// anyway (the spawn then fails with the policy's own message). When the user denied exactly
// this before (d), nothing is asked and denied lists what was denied: the module runs with
// what policy grants.
func (s *Store) AskAtOpen(id Identity, digest string, d *Denials) (q *OpenQuestion, denied string) {
	if s == nil || id.Requests == nil {
		return nil, ""
	}
	ns, err := s.Resolve(id)
	if err != nil || ns.Refused != nil {
		return nil, ""
	}
	missing := Missing(id.Requests, ns)
	if missing.Empty() {
		return nil, ""
	}
	lines := Describe(missing)
	if d != nil {
		if e, ok := d.Denied(id.Name, digest); ok && coversAll(e.Lines, lines) {
			return nil, strings.Join(lines, ", ")
		}
	}
	return &OpenQuestion{Module: id.Name, Digest: digest, Missing: missing, Lines: lines, ns: ns}, ""
}

// coversAll reports whether every wanted line was among the lines denied before: a module
// that now asks for something more is asked again.
func coversAll(denied, want []string) bool {
	for _, w := range want {
		if !slices.Contains(denied, w) {
			return false
		}
	}
	return true
}

// Decision is what an answer at open does.
type Decision struct {
	Grants *Grants // added to this run only (allow once; always, when the file did not load)
	Notice string  // one line for the user, "" for none
	Denied string  // what was denied, for a failure to start to name
}

// Decide carries out the user's answer to q: allow once grants Missing to this run; always
// also writes it to the module's policy file and reloads; deny is remembered in d (per module
// version) so the shell does not ask again.
func (s *Store) Decide(q *OpenQuestion, a Answer, d *Denials) (Decision, error) {
	switch a {
	case AllowOnce:
		return Decision{Grants: q.Missing}, nil
	case AllowAlways:
		notice, loaded, err := s.allowAlways(q.Module, q.ns, q.Missing)
		if err != nil {
			return Decision{}, err
		}
		if !loaded {
			return Decision{Grants: q.Missing, Notice: notice}, nil
		}
		return Decision{Notice: notice}, nil
	}
	denied := strings.Join(q.Lines, ", ")
	note := fmt.Sprintf("Denied %s: %s (running with what its policy grants)", q.Module, denied)
	if d == nil {
		note += "; not remembered: no denials file"
	} else if err := d.Add(Denial{Module: q.Module, Digest: q.Digest, Lines: q.Lines, Time: time.Now()}); err != nil {
		note += "; not remembered: " + err.Error()
	}
	return Decision{Notice: note, Denied: denied}, nil
}

// DoorGrant is the grant to ask a person for when policy refused op on object at a running
// module's door, or nil when no answer could allow it: a door nobody is asked about, or one
// the module's manifest does not request (requests; nil for a bare .wasm, which gets what
// policy grants), since manifest ∩ policy would refuse it whatever policy says.
func DoorGrant(module string, requests *Grants, op Op, object string) *Grants {
	switch op {
	case OpNet, OpSpawn, OpClipboard, OpCall:
	case OpStorage: // the quota to ask for is the one the manifest requests
		if requests == nil || requests.Storage.N <= 0 {
			return nil
		}
		return &Grants{Storage: requests.Storage}
	default:
		return nil
	}
	g, ok := GrantFor(op, object)
	if !ok {
		return nil
	}
	if requests != nil && !(&Namespace{Module: module, Grants: *requests}).allow(op, object) {
		return nil
	}
	return g
}

// AllowAlways writes g into module's policy file on top of what current's policy grants
// (WriteAlways) and reloads the store. notice says where it went, and whether it loads.
func (s *Store) AllowAlways(module string, current *Namespace, g *Grants) (notice string, err error) {
	notice, _, err = s.allowAlways(module, current, g)
	return notice, err
}

func (s *Store) allowAlways(module string, current *Namespace, g *Grants) (notice string, loaded bool, err error) {
	path, err := WriteAlways(s.Dir(), module, current, g)
	if err != nil {
		return "", false, fmt.Errorf("allow %s always: %w", module, err)
	}
	if _, err := s.Reload(); err != nil {
		return fmt.Sprintf("Saved %s, but it does not load: %v", TildePath(path), err), false, nil
	}
	return "Saved " + TildePath(path), true, nil
}
