package main

import (
	"context"
	"sync/atomic"

	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/shell"
)

// shellAsker is the kernel's Asker in the shell: when policy refuses a running module a fetch,
// a spawn or the clipboard, the shell's permission card asks (Allow once, Always allow, Deny).
// policies decides what may be asked (DoorGrant) and writes an Always (Store.AllowAlways).
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
	g := policies.DoorGrant(q.Module, q.Requests, q.Op, q.Object)
	if g == nil {
		return kernel.AnswerDeny, nil
	}
	choice, err := (*prompt)(ctx, shell.PermissionPrompt{Module: q.Module, Lines: policies.Describe(g)})
	if err != nil {
		return kernel.AnswerDeny, err
	}
	switch answerOf(choice) {
	case policies.AllowOnce:
		return kernel.AnswerOnce, nil
	case policies.AllowAlways:
		msg, err := k.Policies().AllowAlways(q.Module, k.Namespace(q.PID), g)
		if err != nil {
			return kernel.AnswerDeny, err
		}
		if n := a.notice.Load(); n != nil {
			(*n)(msg)
		}
		return kernel.AnswerAlways, nil
	}
	return kernel.AnswerDeny, nil
}
