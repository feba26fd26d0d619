package bus

import "errors"

// Sentinel errors. Every error a bus operation returns wraps exactly one of these (test with
// errors.Is); the kernel maps them onto ABI codes in one table.
var (
	// ErrFull: the receiver's inbox stayed full for the whole wait (reliable delivery).
	ErrFull = errors.New("bus: inbox full")
	// ErrTooBig: the payload or the region list is over the bus's maximum; nothing was sent.
	ErrTooBig = errors.New("bus: message too big")
	// ErrNotFound: no such pid, subscriber, subscription, pending request or region handle.
	ErrNotFound = errors.New("bus: not found")
	// ErrClosed: the inbox (or the whole bus) is closed; the process is going away.
	ErrClosed = errors.New("bus: closed")
	// ErrBadTopic: a malformed topic or pattern (empty token, wildcard in a publish, bad byte).
	ErrBadTopic = errors.New("bus: malformed topic")
	// ErrDenied: the policy hook (Config.Check) refused the operation.
	ErrDenied = errors.New("bus: denied")
	// ErrInvalid: an argument is out of range (size 0, unknown mode, bad flags).
	ErrInvalid = errors.New("bus: invalid argument")
	// ErrLimit: a per-process limit (region count or region bytes) was reached.
	ErrLimit = errors.New("bus: limit reached")
	// ErrRights: a region handle lacks the right (read/write) the operation needs, or a grant
	// asks for more rights than the sender holds.
	ErrRights = errors.New("bus: insufficient rights")
	// ErrTimeout: a request got no reply before its deadline.
	ErrTimeout = errors.New("bus: timeout")
	// ErrEnded: the process a call went to ended (exited, crashed, was killed) before it replied.
	ErrEnded = errors.New("bus: ended before replying")
	// ErrExists: the pid already has an inbox.
	ErrExists = errors.New("bus: already attached")
	// ErrRemote: TrySend only, the receiver is a remote endpoint (another node): delivering
	// means waiting for that node's acknowledgement, which TrySend never does. Nothing was
	// sent; SendTimeout sends it.
	ErrRemote = errors.New("bus: the receiver is on another node")
)
