package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/shell"
)

// shellAsker is the kernel's Asker in the shell: when policy refuses a running module a fetch,
// a spawn or the clipboard, the shell's permission card asks the user (the same card as at
// open: Allow once, Always allow, Deny). Always writes the grant into the module's policy file
// (policies.WriteAlways keeps what the file granted) and reloads the store. What the module's
// manifest does not request is refused without asking: no policy could grant it (manifest ∩
// policy), so the question would only mislead.
type shellAsker struct {
	k      atomic.Pointer[kernel.Kernel]
	prompt atomic.Pointer[func(context.Context, shell.PermissionPrompt) (shell.Choice, error)]
	notice atomic.Pointer[func(string)]
}

// Ask implements kernel.Asker.
func (a *shellAsker) Ask(ctx context.Context, q kernel.Question) (kernel.Answer, error) {
	prompt, k := a.prompt.Load(), a.k.Load()
	if prompt == nil || k == nil {
		return kernel.AnswerDeny, nil // nobody to ask (a --screenshot run, or still starting)
	}
	g := grantOf(q.Op, q.Object)
	if g == nil {
		return kernel.AnswerDeny, nil
	}
	if q.Requests != nil && !grants(q.Requests, q.Module, q.Op, q.Object) {
		return kernel.AnswerDeny, nil
	}
	choice, err := (*prompt)(ctx, shell.PermissionPrompt{Module: q.Module, Lines: permissionLines(g)})
	if err != nil {
		return kernel.AnswerDeny, err
	}
	switch choice {
	case shell.ChoiceAllowOnce:
		return kernel.AnswerOnce, nil
	case shell.ChoiceAlways:
		st := k.Policies()
		path, err := policies.WriteAlways(st.Dir(), q.Module, k.Namespace(q.PID), g)
		if err != nil {
			return kernel.AnswerDeny, fmt.Errorf("allow %s always: %w", q.Module, err)
		}
		msg := "Saved " + tildePath(path)
		if _, err := st.Reload(); err != nil {
			msg = fmt.Sprintf("Saved %s, but it does not load: %v", tildePath(path), err)
		}
		if n := a.notice.Load(); n != nil {
			(*n)(msg)
		}
		return kernel.AnswerAlways, nil
	}
	return kernel.AnswerDeny, nil
}

// grantOf is the grant that allows op on object (nil: not one the kernel asks about).
func grantOf(op policies.Op, object string) *policies.Grants {
	switch op {
	case policies.OpNet:
		return &policies.Grants{Net: []policies.Rule{{Value: object}}}
	case policies.OpSpawn:
		return &policies.Grants{Spawn: []policies.Rule{{Value: object}}}
	case policies.OpClipboard:
		return &policies.Grants{Clipboard: policies.Flag{On: true}}
	}
	return nil
}

// grants reports whether g (a manifest's requests) covers op on object.
func grants(g *policies.Grants, module string, op policies.Op, object string) bool {
	ns := &policies.Namespace{Module: module, Grants: *g}
	switch op {
	case policies.OpNet:
		return ns.AllowNet(object)
	case policies.OpSpawn:
		return ns.AllowSpawn(object)
	case policies.OpClipboard:
		return ns.AllowClipboard()
	}
	return false
}
