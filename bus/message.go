package bus

import (
	"strconv"
	"sync/atomic"
)

// PID names a process. 0 is the kernel / shell.
type PID uint32

func (p PID) String() string {
	if p < pidNames {
		// Direct sends pass the receiver's name to the policy hook on every message: keep the
		// names of the common (low) pids so that costs no allocation.
		if s := pidName[p].Load(); s != nil {
			return *s
		}
		s := "pid:" + strconv.FormatUint(uint64(p), 10)
		pidName[p].Store(&s)
		return s
	}
	return "pid:" + strconv.FormatUint(uint64(p), 10)
}

const pidNames = 4096

var pidName [pidNames]atomic.Pointer[string]

// Kind is a message's kind; the values are those of docs/abi.md.
type Kind uint32

// Message kinds (docs/abi.md, "Message layout").
const (
	KindDirect  Kind = 1  // sent to one pid
	KindPublish Kind = 2  // published on a topic
	KindRequest Kind = 3  // a request on a topic; answer with Bus.Reply(Corr)
	KindReply   Kind = 4  // the answer to a request or a call
	KindCall    Kind = 5  // a call of a service by name, to one process (Bus.Call); Topic is the method
	KindEvent   Kind = 16 // an input event (32-byte payload, docs/abi.md)
	KindQuit    Kind = 17 // a quit request, no payload
	KindExit    Kind = 18 // a child process ended (payload: pid u32, exit code i32, reason)
)

// kept reports whether a posted message of kind k is never evicted or dropped from a full
// inbox: a quit request, a child's exit. It may overfill the inbox instead.
func (k Kind) kept() bool { return k == KindQuit || k == KindExit }

func (k Kind) String() string {
	switch k {
	case KindDirect:
		return "direct"
	case KindPublish:
		return "publish"
	case KindRequest:
		return "request"
	case KindReply:
		return "reply"
	case KindCall:
		return "call"
	case KindEvent:
		return "event"
	case KindQuit:
		return "quit"
	case KindExit:
		return "exit"
	}
	return "kind(" + strconv.FormatUint(uint64(k), 10) + ")"
}

// Message is what travels on the bus. The bus takes ownership of Payload on send: the sender must
// not modify it afterwards, and receivers must treat it as read-only (one payload is shared by
// every subscriber of a publish).
type Message struct {
	Kind  Kind
	From  PID
	To    PID    // direct messages
	Topic string // publish / request
	Corr  uint64 // correlation id of a request and its reply
	Sent  int64  // monotonic ns (Now), set by the bus
	// Sub is the receiver's subscription a publish or request was delivered for, set by the
	// bus (0 for direct messages): a process with overlapping patterns gets one copy per
	// subscription and tells them apart by it.
	Sub uint32
	// Flags are the layout's flags word: FlagFailed on a reply.
	Flags   uint32
	Payload []byte
	Regions []Attachment // region handles travelling with the message
	// ReplyBuf, on a call from host code, is a buffer the caller lends for the reply's
	// payload: a replier on the host (a reactor's handler, kernel/serve.go) writes the payload
	// there when it fits instead of allocating one. The caller may reuse it only once a reply
	// came (a late replier may still write to it). It never reaches a guest or another node.
	ReplyBuf []byte
}

// FlagFailed marks a reply whose payload is the replier's failure message (UTF-8), not an
// answer: a service's handler failed the call.
const FlagFailed uint32 = 1

// Rights on a region handle. The same bits are the ABI's (handle, flags) flags.
type Rights uint32

const (
	RightRead     Rights = 1
	RightWrite    Rights = 2
	FlagTransfer  Rights = 4 // on send only: the sender loses its handle
	rightsMask           = RightRead | RightWrite
	attachFlagAll        = RightRead | RightWrite | FlagTransfer
)

// Attachment is a region handle travelling with a message. On send, Handle is one of the sender's
// handles and Rights says what the receiver gets (RightRead, RightWrite, plus FlagTransfer to
// give the handle away). On receive, Handle is a handle in the receiver's own table and Rights
// what it may do with it.
type Attachment struct {
	Handle uint32
	Rights Rights
}

// Size is what a message counts against an inbox's byte limit: the payload, the topic and a
// fixed 48-byte header, as in the ABI layout.
func (m *Message) Size() int {
	return headerSize + 4*len(m.Regions) + len(m.Topic) + len(m.Payload)
}
