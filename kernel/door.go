package kernel

import (
	"fmt"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
)

// checkDoor asks p's namespace whether it may perform op on object (a host:port to fetch, a
// module name to spawn, ...). With Config.AllowAll everything is allowed; a process the
// policy table does not know (none is bound) is refused, because every process the kernel
// spawns under policies is bound. A refusal the user can be asked about goes to Config.Asker
// first (ask.go). A denial is logged (the first few), audited, and returned
// wrapped to match bus.ErrDenied, so codeOf gives the guest ERR_DENIED.
func (p *Process) checkDoor(op policies.Op, object string) error {
	t := p.k.policy
	if t == nil {
		return nil
	}
	pp := t.procs.load(p.pid)
	if pp == nil {
		return fmt.Errorf("%w: %s %s: process %d has no namespace", bus.ErrDenied, op, object, p.pid)
	}
	if pp.allowed(op, object) || p.ask(pp, op, object) { // ask.go: the user may allow it
		return nil
	}
	return pp.check(t, p.pid, op, object)
}
