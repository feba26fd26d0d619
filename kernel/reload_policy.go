package kernel

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/orbital/orbital/policies"
)

// sameGrants refuses new code whose effective grants (its manifest's requests intersected with
// policy, as they would be bound now) differ from those the running process holds: a reload
// never widens or narrows what a process may do behind the user's back. The process keeps its
// own binding; new is only compared. Without policies there is nothing to compare.
func (k *Kernel) sameGrants(p *Process, next *procPolicy) error {
	if k.policy == nil || k.policy.store == nil || next == nil {
		return nil
	}
	cur := k.policy.procs.load(p.pid)
	if cur == nil {
		return fmt.Errorf("the running process has no namespace to compare the new version's with")
	}
	have, want := grantLines(cur.live.Namespace()), grantLines(next.live.Namespace())
	if slices.Equal(have, want) {
		return nil
	}
	var gained, lost []string
	for _, l := range want {
		if !slices.Contains(have, l) {
			gained = append(gained, l)
		}
	}
	for _, l := range have {
		if !slices.Contains(want, l) {
			lost = append(lost, l)
		}
	}
	var parts []string
	if len(gained) > 0 {
		parts = append(parts, "it would gain "+strings.Join(gained, "; "))
	}
	if len(lost) > 0 {
		parts = append(parts, "it would lose "+strings.Join(lost, "; "))
	}
	return fmt.Errorf("the new version's effective grants differ from the running process's (%s); "+
		"a reload keeps the grants: stop the module and start the new version instead", strings.Join(parts, ", "))
}

// grantLines is the namespace as `orbital policy explain` prints it, one grant per line with
// its source, white space condensed: the one rendering of every grant kind, so comparing it
// compares every grant the policy package knows, including kinds added later.
func grantLines(ns *policies.Namespace) []string {
	var b bytes.Buffer
	ns.Explain(&b)
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}
