package system

import (
	"context"
	"fmt"
	"sync"

	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
)

// Asking the user (Config.Prompt): when the bar opens a module whose manifest requests more
// than policy grants, and when policy refuses a running module at a door it waits at anyway
// (a fetch, a spawn, the clipboard, storage: the kernel's Asker). policies decides what is
// asked and what an answer does; the prompt only shows the question and returns the choice.

// Prompt asks the user whether module may have what lines describe (policies.Describe).
type Prompt func(ctx context.Context, module string, lines []string) (policies.Answer, error)

// asking is the instance's state for asking: the answers Deny, kept in the home
// (policies.Denials) so a module version is asked once, loaded at the first question.
type asking struct {
	once    sync.Once
	denials *policies.Denials
}

func (in *Instance) denials() *policies.Denials {
	in.ask.once.Do(func() {
		var err error
		if in.ask.denials, err = policies.OpenDenials(in.cfg.Home); err != nil {
			// Asked again, as if nothing had been denied; saving a new answer rewrites the file.
			in.errorf("%v", err)
		}
	})
	return in.ask.denials
}

// notice shows msg to the user (Config.Notice), unless it is empty.
func (in *Instance) notice(msg string) {
	if msg != "" && in.cfg.Notice != nil {
		in.cfg.Notice(msg)
	}
}

// askAtOpen asks about what so's manifest requests beyond policy and adjusts so to the answer.
// It returns what was denied (now or earlier: a failure to start names it), or ctx's error if
// the open was cancelled while the question was up.
func (in *Instance) askAtOpen(ctx context.Context, so *kernel.SpawnOptions, digest string) (denied string, err error) {
	if in.cfg.Prompt == nil {
		return "", nil
	}
	st := in.k.Policies()
	q, denied := st.AskAtOpen(policies.Identity{Name: so.Name, Publisher: so.Publisher, Requests: so.Requests}, digest, in.denials())
	if q == nil {
		return denied, nil
	}
	answer, err := in.cfg.Prompt(ctx, so.Name, q.Lines)
	if err != nil {
		if ctx.Err() != nil {
			return "", context.Canceled
		}
		return "", err
	}
	d, err := st.Decide(q, answer, in.denials())
	if err != nil {
		return "", err
	}
	so.Grants = d.Grants
	in.notice(d.Notice)
	return d.Denied, nil
}

// deniedStart adds what the user denied to a failure to start: the likely reason.
func deniedStart(err error, denied string) error {
	if denied == "" {
		return err
	}
	return fmt.Errorf("%w (you denied it: %s)", err, denied)
}

// asker is the kernel's Asker over Config.Prompt: it asks about what policy refused a running
// module, and writes an Always into a policy file.
type asker struct{ in *Instance }

func (a asker) Ask(ctx context.Context, q kernel.Question) (kernel.Answer, error) {
	g := policies.DoorGrant(q.Module, q.Requests, q.Op, q.Object)
	if g == nil {
		return kernel.AnswerDeny, nil // the manifest does not request it: no policy could grant it
	}
	answer, err := a.in.cfg.Prompt(ctx, q.Module, policies.Describe(g))
	if err != nil {
		return kernel.AnswerDeny, err
	}
	switch answer {
	case policies.AllowOnce:
		return kernel.AnswerOnce, nil
	case policies.AllowAlways:
		k := a.in.k
		msg, err := k.Policies().AllowAlways(q.Module, k.Namespace(q.PID), g)
		if err != nil {
			return kernel.AnswerDeny, err
		}
		a.in.notice(msg)
		return kernel.AnswerAlways, nil
	}
	return kernel.AnswerDeny, nil
}

// kernelAsker is the Asker the kernel gets: nil (policy alone decides) without a Prompt.
func (in *Instance) kernelAsker() kernel.Asker {
	if in.cfg.Prompt == nil {
		return nil
	}
	return asker{in}
}

var _ kernel.Asker = asker{}
