package policies

import (
	"fmt"
	"os"
)

// Prompt is what the shell asks the user when a module's manifest requests more than policy
// grants on its first run.
type Prompt struct {
	PID     uint32
	Module  string
	Missing *Grants // requested but not granted
}

// Answer is the user's reply to a Prompt.
type Answer int

const (
	Deny        Answer = iota // run with what policy grants
	AllowOnce                 // grant Missing for this run only (Namespace.WithUserGrants)
	AllowAlways               // also write it to a policy file (WriteAlways)
)

// Missing returns what requests asks for beyond what ns grants: the part a prompt shows.
func Missing(requests *Grants, ns *Namespace) *Grants {
	m := &Grants{}
	for _, k := range kinds {
		k.missing(requests, ns, m)
	}
	return m
}

func coveredBy(rs []Rule, pattern string) bool {
	for _, r := range rs {
		if Covers(r.Value, pattern) {
			return true
		}
	}
	return false
}

func (n *Namespace) covered(p Preopen) bool {
	for _, g := range n.Grants.FS {
		if (p.Host == "" && p.Guest == g.Guest || p.Host != "" && within(p.Host, g.Host)) && p.Mode <= g.Mode {
			return true
		}
	}
	return false
}

// WriteAlways records an "allow always" answer: the module's current policy grants plus the
// newly allowed ones, written as a readable file <dir>/<module>.toml (replacing an earlier one
// written for the same module; a hand-written file for it is kept as <module>.toml.bak).
func WriteAlways(dir string, module string, current *Namespace, allowed *Grants) (string, error) {
	g := &Grants{}
	if current != nil && current.Policy != nil {
		g = current.Policy.Grants.Clone()
	}
	g.Add(allowed)
	path := FileFor(dir, module)
	if old, err := os.ReadFile(path); err == nil {
		if err := os.WriteFile(path+".bak", old, 0o644); err != nil {
			return "", fmt.Errorf("policies: keep %s: %w", path, err)
		}
	}
	header := fmt.Sprintf("Policy for %s, written when you answered \"allow always\" in the shell.\nEdit freely; 'orbital policy check' validates it.", module)
	return WriteFile(dir, module, Render(module, g, header), true)
}
