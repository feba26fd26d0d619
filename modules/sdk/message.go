package sdk

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Kind says what a message is (docs/abi.md, "Message layout").
type Kind uint32

// Message kinds.
const (
	KindDirect  Kind = 1  // sent to this process's pid
	KindPublish Kind = 2  // published on a topic this process subscribed to
	KindRequest Kind = 3  // a request; answer with a reply carrying Corr
	KindReply   Kind = 4  // the answer to a request or a call
	KindCall    Kind = 5  // a call of this service by name (Serve answers them); Topic is the method
	KindEvent   Kind = 16 // an input event for one of this process's surfaces
	KindQuit    Kind = 17 // the kernel asks the process to exit soon
	KindExit    Kind = 18 // a child this process started (Spawn) ended; decode with Message.Exit
)

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
	return fmt.Sprintf("kind(%d)", uint32(k))
}

// FlagFailed marks a reply carrying a service's failure (its payload is the message).
const FlagFailed uint32 = 1

// HeaderSize is the size of the fixed message header the host writes before the region handles,
// the topic and the payload.
const HeaderSize = 48

// Message is one message from the process's inbox, decoded from the ABI's layout. Its slices
// are the Message's own: they stay valid after the next Recv.
type Message struct {
	Kind  Kind
	From  uint32        // sender pid; 0 is the kernel or the shell
	Corr  uint64        // correlation id of requests and replies
	Flags uint32        // FlagFailed on a reply whose payload is the service's failure message
	Sent  time.Duration // when it was sent, on the Now clock
	// Sub is the subscription (Subscription.ID) a publish or request came through; a process
	// whose patterns overlap gets one copy per subscription. 0 for other messages.
	Sub     int32
	Regions []uint32 // region handles, valid in this process's handle table
	Topic   string
	Payload []byte
}

// DecodeMessage parses one message in the layout recv and request write. The result copies
// what it keeps, so buf may be reused.
func DecodeMessage(buf []byte) (Message, error) {
	r, err := parseMessage(buf)
	if err != nil {
		return Message{}, err
	}
	return r.message(), nil
}

// rawMessage is a message's header and its parts, aliasing the buffer it was parsed from:
// what a handler that answers within the buffer's lifetime reads without copying.
type rawMessage struct {
	hdr     Message // the header's fields (Regions, Topic and Payload unset)
	regions []byte  // the region handles, 4 bytes each
	topic   []byte
	payload []byte
}

// parseMessage splits buf (the ABI's layout) into its header and parts without copying.
func parseMessage(buf []byte) (rawMessage, error) {
	if len(buf) < HeaderSize {
		return rawMessage{}, fmt.Errorf("orbital: message of %d bytes is shorter than the %d-byte header", len(buf), HeaderSize)
	}
	le := binary.LittleEndian
	r := rawMessage{hdr: Message{
		Kind:  Kind(le.Uint32(buf[0:])),
		From:  le.Uint32(buf[4:]),
		Corr:  le.Uint64(buf[8:]),
		Flags: le.Uint32(buf[28:]),
		Sent:  time.Duration(int64(le.Uint64(buf[32:]))),
		Sub:   int32(le.Uint32(buf[40:])),
	}}
	topicLen, payloadLen, nregions := uint64(le.Uint32(buf[16:])), uint64(le.Uint32(buf[20:])), uint64(le.Uint32(buf[24:]))
	need := HeaderSize + 4*nregions + topicLen + payloadLen
	if need > uint64(len(buf)) {
		return rawMessage{}, fmt.Errorf("orbital: message header says %d bytes (%d regions, topic %d, payload %d) but %d arrived",
			need, nregions, topicLen, payloadLen, len(buf))
	}
	off := uint64(HeaderSize)
	r.regions = buf[off : off+4*nregions]
	off += 4 * nregions
	r.topic = buf[off : off+topicLen]
	off += topicLen
	r.payload = buf[off : off+payloadLen]
	return r, nil
}

// handles decodes the region handles.
func (r *rawMessage) handles() []uint32 {
	if len(r.regions) == 0 {
		return nil
	}
	out := make([]uint32, len(r.regions)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(r.regions[4*i:])
	}
	return out
}

// message is r as a Message of its own (copies of the topic and payload).
func (r *rawMessage) message() Message {
	m := r.hdr
	m.Regions = r.handles()
	m.Topic = string(r.topic)
	if len(r.payload) > 0 {
		m.Payload = append([]byte(nil), r.payload...)
	}
	return m
}

// Event decodes the payload of a KindEvent message. Other kinds give an error.
func (m Message) Event() (Event, error) {
	if m.Kind != KindEvent {
		return nil, fmt.Errorf("orbital: message of kind %v is not an input event", m.Kind)
	}
	return DecodeEvent(m.Payload)
}

// ChildExit says how a child started with Spawn ended.
type ChildExit struct {
	PID    uint32
	Code   int    // its exit code (134: crashed, 137: killed)
	Reason string // the kernel's words: "exit status 3", "killed by its parent ...", a trap
}

// Exit decodes the payload of a KindExit message. Other kinds give an error.
func (m Message) Exit() (ChildExit, error) {
	if m.Kind != KindExit || len(m.Payload) < 8 {
		return ChildExit{}, fmt.Errorf("orbital: message of kind %v is not a child's exit", m.Kind)
	}
	le := binary.LittleEndian
	return ChildExit{PID: le.Uint32(m.Payload), Code: int(int32(le.Uint32(m.Payload[4:]))), Reason: string(m.Payload[8:])}, nil
}
