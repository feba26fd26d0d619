package kernel

import (
	"context"
	"fmt"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
)

// Asking at the door. The shell asks about a module's manifest when it opens it; some doors
// are only reached while it runs (a fetch to a host the module chose, a module it starts, the
// clipboard). When policy refuses one of those and the embedder gave the kernel an Asker (the
// shell's permission prompt), the process waits in its host call while the user decides:
//
//   - Allow once: this process may do exactly that (op and object) until it ends;
//   - Always: the Asker writes a policy file granting it and reloads the store; the kernel
//     then checks again, so what the file grants is what applies (a manifest that does not
//     request it still wins: manifest ∩ policy);
//   - Deny: refused, audited, and not asked again for this process.
//
// Only the doors a process waits at anyway are asked about (net, spawn, clipboard, storage, a
// call of a service by name), never bus operations, which run on the hot path. Only top-level processes are asked: a child's
// namespace is bounded by its parent's, which an answer about the child could not lift. While
// the question is up the process is Blocked and its handler deadline does not run; a kill
// ends the wait (and the card). An unanswered question is refused after askTimeout.

// Asker asks the user whether a process may do what its policy refused.
type Asker interface {
	Ask(ctx context.Context, q Question) (Answer, error)
}

// Question is one operation policy refused.
type Question struct {
	PID      bus.PID
	Module   string
	Op       policies.Op // policies.OpNet, OpSpawn, OpClipboard, OpStorage or OpCall
	Object   string      // host:port, module name, "read" or "write", "kv", a service's name
	Requests *policies.Grants
	// Requests is what the module's manifest asks for (nil: a bare .wasm, which gets what
	// policy grants). An Asker should not offer what the manifest does not request: no policy
	// could grant it.
}

// Answer is the user's decision.
type Answer int

const (
	AnswerDeny   Answer = iota // refuse; do not ask this process again
	AnswerOnce                 // allow this operation for this process's life
	AnswerAlways               // the Asker wrote a policy granting it; check again
)

// askTimeout bounds how long a process waits for an answer.
const askTimeout = 2 * time.Minute

// askable are the doors the kernel asks about.
func askable(op policies.Op) bool {
	return op == policies.OpNet || op == policies.OpSpawn || op == policies.OpClipboard || op == policies.OpStorage ||
		op == policies.OpCall
}

// ask puts the question to the user and reports whether the operation may go ahead.
func (p *Process) ask(pp *procPolicy, op policies.Op, object string) bool {
	a := p.k.cfg.Asker
	if a == nil || !askable(op) || p.opts.Parent != 0 || p.opts.Bound != nil {
		return false
	}
	p.askMu.Lock()
	if p.answers == nil {
		p.answers = map[string]Answer{}
	}
	key := op.String() + "\x00" + object
	prev, seen := p.answers[key]
	p.askMu.Unlock()
	if seen {
		return prev == AnswerOnce
	}
	// Waiting for a person: Blocked, and not handler time.
	p.mu.Lock()
	was := p.info.State
	p.mu.Unlock()
	p.setState(Blocked)
	ctx, cancel := context.WithTimeout(p.ctx, askTimeout)
	ans, err := a.Ask(ctx, Question{PID: p.pid, Module: p.name, Op: op, Object: object, Requests: p.opts.Requests})
	cancel()
	p.lastHost.Store(monoNow())
	p.setState(was) // a fetch asks while it is already Blocked
	if err != nil {
		if p.ctx.Err() == nil {
			p.k.cfg.Log(p.pid, p.name, 2, fmt.Sprintf("asking about %s %s: %v", op, object, err))
		}
		return false // not remembered: the next attempt asks again
	}
	p.askMu.Lock()
	p.answers[key] = ans
	p.askMu.Unlock()
	switch ans {
	case AnswerOnce:
		p.k.cfg.Log(p.pid, p.name, 1, fmt.Sprintf("%s %s allowed by the user for this run", op, object))
		return true
	case AnswerAlways:
		return pp.allowed(op, object)
	}
	return false
}
