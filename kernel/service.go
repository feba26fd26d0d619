package kernel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orbital/orbital/bus"
)

// Services by name (docs/design/services.md). A call "weather.today" goes to one process of
// the service "weather", which sees the method "today". The kernel's part: the call host
// function (host_call.go) checks the caller's [bus] call grant and hands the call to
// Config.Services, which picks the process (system's service manager: start on demand,
// instances, idle stop) and delivers the call with CallProcess. A reactor service gets its
// calls through its orbital_service_handle export (serve.go); a command service receives them
// in recv as kind-5 messages and answers with reply or reply_error.

// ServiceCall is one call of a service by name.
type ServiceCall struct {
	// From is the caller: a process, or a bus endpoint of the embedder's (0: the host). The
	// reply's region handles land in its table.
	From    bus.PID
	Service string // the service's module name: "weather"
	Method  string // what its handler sees: "today" (may be empty)
	Payload []byte // at most the bus's maximum payload (1 MiB)
	// Regions are handles From holds, granted to the process that takes the call (large
	// bodies travel in regions).
	Regions []bus.Attachment
	// Timeout bounds the wait for the reply (> 0); <= 0 waits until the context ends.
	Timeout time.Duration
	// ReplyBuf is lent for the reply's payload (bus.Message.ReplyBuf): a reactor writes it
	// there when it fits. Reuse it only after a reply came.
	ReplyBuf []byte
}

// Services delivers calls of services by name: system's service manager, or one a cluster
// wraps around it. Call returns the reply (Payload, Regions in From's table) or an error that
// matches one of ErrNoService, ErrServiceCrashed, ErrServiceFailed (a *ServiceError),
// bus.ErrTimeout, bus.ErrFull, bus.ErrTooBig or bus.ErrInvalid.
type Services interface {
	Call(ctx context.Context, c ServiceCall) (bus.Message, error)
}

var (
	// ErrNoService: no installed module of that name is a service (ERR_NOT_FOUND).
	ErrNoService = errors.New("no such service")
	// ErrServiceCrashed: the process that had the call ended before it replied (a trap, an
	// exit, a kill), or no process of the service could be started (ERR_CRASHED).
	ErrServiceCrashed = errors.New("service crashed")
	// ErrServiceFailed: the service's handler failed the call (a *ServiceError says why).
	ErrServiceFailed = errors.New("service failed the call")
)

func init() {
	registerErrorCode(ErrNoService, errNotFound)
	registerErrorCode(ErrServiceCrashed, errCrashed)
}

// ServiceError is a call the service's handler failed: Msg is what it said.
type ServiceError struct {
	Service, Method string
	Msg             string
}

func (e *ServiceError) Error() string {
	return fmt.Sprintf("service %s: %s failed: %s", e.Service, callName(e.Service, e.Method), e.Msg)
}

// Is makes errors.Is(err, ErrServiceFailed) true.
func (e *ServiceError) Is(target error) bool { return target == ErrServiceFailed }

func callName(service, method string) string {
	if method == "" {
		return service
	}
	return service + "." + method
}

// MaxMethod bounds a call's method.
const MaxMethod = 256

// SplitCallName splits "weather.today" at its first dot into the service ("weather", a module
// name: lower-case letters, digits, - and _, starting with a letter, at most 64) and the
// method ("today": at most MaxMethod printable ASCII bytes, no spaces; may be empty). A bad
// name wraps bus.ErrInvalid.
func SplitCallName(name string) (service, method string, err error) {
	service, method, _ = strings.Cut(name, ".")
	if !validService(service) {
		return "", "", fmt.Errorf("%w: %q: the part before the first dot must be a module name", bus.ErrInvalid, name)
	}
	if len(method) > MaxMethod {
		return "", "", fmt.Errorf("%w: method of %d bytes (at most %d)", bus.ErrInvalid, len(method), MaxMethod)
	}
	for i := 0; i < len(method); i++ {
		if c := method[i]; c <= ' ' || c > '~' {
			return "", "", fmt.Errorf("%w: method %q: printable ASCII without spaces only", bus.ErrInvalid, method)
		}
	}
	return service, method, nil
}

func validService(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CallProcess delivers c to the process pid, which must serve c.Service, and waits for its
// reply (Process.Call); an unknown pid is bus.ErrNotFound.
func (k *Kernel) CallProcess(ctx context.Context, pid bus.PID, c ServiceCall) (bus.Message, error) {
	p := k.Process(pid)
	if p == nil {
		return bus.Message{}, fmt.Errorf("%s: %w: no process %d", callName(c.Service, c.Method), bus.ErrNotFound, pid)
	}
	return p.Call(ctx, c)
}

// Call delivers c to p, which must serve c.Service, and waits for its reply. It never waits
// for room in p's inbox (bus.ErrFull at once). A reply flagged as a failure is a
// *ServiceError; p ending before it replied is ErrServiceCrashed with p's reason; p already
// gone is bus.ErrNotFound (a dispatcher picks another).
func (p *Process) Call(ctx context.Context, c ServiceCall) (bus.Message, error) {
	b := p.k.bus
	rep, err := b.Call(ctx, bus.Message{From: c.From, To: p.pid, Topic: c.Method, Payload: c.Payload, Regions: c.Regions, ReplyBuf: c.ReplyBuf}, c.Timeout)
	switch {
	case err == nil && rep.Flags&bus.FlagFailed != 0:
		releaseAttachments(b, c.From, rep.Regions)
		return bus.Message{}, &ServiceError{Service: c.Service, Method: c.Method, Msg: string(rep.Payload)}
	case errors.Is(err, bus.ErrEnded):
		return bus.Message{}, p.endedError(ctx, c)
	case err != nil:
		return bus.Message{}, fmt.Errorf("%s: %w", callName(c.Service, c.Method), err)
	}
	return rep, nil
}

// endedError says why p ended while it had the call c: its reason, once the process has
// recorded it (it detaches its inbox, which ended the call, just before).
func (p *Process) endedError(ctx context.Context, c ServiceCall) error {
	why := "ended"
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	info, err := p.Wait(wctx)
	cancel()
	if err == nil {
		if why = info.State.String(); info.Reason != "" && info.Reason != why {
			why += " (" + info.Reason + ")"
		}
	}
	return fmt.Errorf("%s: %w: %s (pid %d) %s before it replied", callName(c.Service, c.Method), ErrServiceCrashed, c.Service, p.pid, why)
}
