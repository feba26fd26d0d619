package sdk

import (
	"errors"
	"runtime/debug"
)

// Services by name (docs/abi.md, "Services"): the types and helpers that need no host, so
// `go test ./sdk` checks them natively. The host calls are in service.go.

// ServiceRequest is one call a service's handler gets (Serve).
type ServiceRequest struct {
	// Method is what follows the service's name in the call: "today" of "weather.today"
	// ("" for a call of "weather" alone).
	Method  string
	Payload []byte
	From    uint32 // the caller's pid; 0 for the instance itself (`orbital call`), 1<<27 for an HTTP route
	// Regions came with the call (large bodies); they are this process's handles now:
	// release them when done.
	Regions []uint32
}

// ErrFailed is what errors.Is finds in a *CallError: the service answered with a failure.
var ErrFailed = errors.New("the service failed the call")

// CallError is a call the service failed: Msg is the error its handler returned.
type CallError struct {
	Name string // the call's name, "weather.today"
	Msg  string
}

func (e *CallError) Error() string { return "orbital: call " + e.Name + ": " + e.Msg }

// Is makes errors.Is(err, ErrFailed) true.
func (e *CallError) Is(target error) bool { return target == ErrFailed }

// requestOf is the ServiceRequest a call message m carries.
func requestOf(m Message) ServiceRequest {
	return ServiceRequest{Method: m.Topic, Payload: m.Payload, From: m.From, Regions: m.Regions}
}

// answer is what the kernel takes from orbital_service_handle: the reply (or, failed, the
// failure's message) as (len << 32) | ptr, bit 62 for a failure.
func answer(ptr uintptr, n int, failed bool) int64 {
	r := int64(n)<<32 | int64(ptr&0xffffffff)
	if failed {
		r |= answerFailed
	}
	return r
}

// Bits of an answer besides its range: a failure's message; a gather list (the range holds
// (ptr u32, len u32) pairs whose ranges one after another are the answer).
const (
	answerFailed = 1 << 62
	answerGather = 1 << 61
)

// reactor reports whether this program is a reactor (built with -buildmode=c-shared: main
// never runs, the kernel calls its exports), read once from the build settings Go embeds.
var reactor = func() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-buildmode" {
			return s.Value == "c-shared"
		}
	}
	return false
}()
