//go:build wasip1

package sdk

import (
	"errors"
	"fmt"
	"time"
	"unsafe"
)

//go:wasmimport orbital call
func hostCall(name string, payload unsafe.Pointer, payloadLen int32, buf unsafe.Pointer, bufCap int32, timeoutNS int64) int32

//go:wasmimport orbital reply_error
func hostReplyError(corr int64, msg string) int32

// DefaultCallTimeout is how long Call waits for the reply.
const DefaultCallTimeout = 10 * time.Second

// Call calls a service by name and returns its reply: "weather.today" reaches one process of
// the installed service weather (started if none runs), whose handler sees the method "today".
// The caller's policy must grant it ([bus] call = ["weather"]). Errors: ErrDenied, ErrNotFound
// (no such service), ErrCrashed (the service's process ended before it replied), ErrTimeout,
// ErrFull (every instance is busy), ErrTooBig, ErrInvalid (a bad name); a *CallError
// (errors.Is ErrFailed) when the handler failed the call.
func Call(name string, payload []byte) ([]byte, error) {
	return CallTimeout(name, payload, DefaultCallTimeout)
}

// CallTimeout is Call waiting at most timeout (Forever: until the process is stopped).
func CallTimeout(name string, payload []byte, timeout time.Duration) ([]byte, error) {
	p, n := bytesPtr(payload)
	first := true
	m, err := recvMessage(func(buf []byte) int32 {
		b, c := bytesPtr(buf)
		if !first {
			return hostRecv(b, c, 0) // the reply did not fit: the host queued it for recv
		}
		first = false
		return hostCall(name, p, n, b, c, int64(timeout))
	})
	if err != nil {
		return nil, fmt.Errorf("orbital: call %s: %w", name, err)
	}
	if m.Flags&FlagFailed != 0 {
		return nil, &CallError{Name: name, Msg: string(m.Payload)}
	}
	return m.Payload, nil
}

// serveHandler is the handler Serve registered; a reactor's exports call it.
var serveHandler func(ServiceRequest) ([]byte, error)

// Serve makes this module a service: h answers every call of it (its error becomes a
// *CallError for the caller). In a reactor (built with -buildmode=c-shared, the `reactor`
// marker of modules/Makefile) call Serve from init: it registers h and returns, and the
// kernel calls h for each call on the process's own thread between its other work. In a
// command module Serve receives and answers calls itself until the kernel asks the process
// to quit (nil) or Recv fails; other messages are dropped. A panic in h ends the process like
// any crash: the caller gets ErrCrashed and the instance's restart policy applies. HTTP
// requests (calls with the method RouteMethod) go to ListenRoutes' handler when one is
// registered.
func Serve(h func(req ServiceRequest) ([]byte, error)) error {
	serveHandler = h
	if reactor {
		return nil
	}
	return serveCalls()
}

// serveCalls is a command module's loop of Serve and ListenRoutes: it answers calls until
// the kernel asks the process to quit (nil) or Recv fails.
func serveCalls() error {
	for {
		m, err := Recv(Forever)
		if err != nil {
			return quitErr(err)
		}
		switch m.Kind {
		case KindQuit:
			return nil
		case KindCall, KindRequest:
			answerCall(m)
		default:
			for _, r := range m.Regions {
				Region{Handle: r}.Release()
			}
		}
	}
}

// answerCall answers one call or request m with the registered handlers.
func answerCall(m Message) {
	if routeHandler != nil {
		if ok, _ := HandleRoute(m, routeHandler); ok {
			return
		}
	}
	if serveHandler == nil {
		for _, r := range m.Regions {
			Region{Handle: r}.Release()
		}
		hostReplyError(int64(m.Corr), noHandler(m.Topic))
		return
	}
	out, herr := serveHandler(requestOf(m))
	if herr != nil {
		hostReplyError(int64(m.Corr), herr.Error())
		return
	}
	if err := Reply(m, out); errors.Is(err, ErrTooBig) {
		hostReplyError(int64(m.Corr), fmt.Sprintf("reply of %d bytes is too big", len(out)))
	}
}

func noHandler(method string) string {
	if routeHandler != nil {
		return fmt.Sprintf("sdk: no method %q: this module answers HTTP requests only", method)
	}
	return "sdk: this service registered no handler (call sdk.Serve or sdk.ListenRoutes from init)"
}

var (
	serveBuf []byte // where the kernel writes requests (orbital_service_buffer)
	serveOut []byte // the last answer, kept alive until the kernel has copied it
)

// orbitalServiceBuffer is orbital_service_buffer(len) -> ptr: a buffer of at least n bytes
// for the next requests.
//
//go:wasmexport orbital_service_buffer
func orbitalServiceBuffer(n int32) int32 {
	if n <= 0 {
		return int32(ErrInvalid)
	}
	if int(n) > len(serveBuf) {
		serveBuf = make([]byte, max(int(n), 64<<10))
	}
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(serveBuf))))
}

// orbitalServiceHandle is orbital_service_handle(ptr, len) -> answer: the request is the len
// bytes the kernel wrote at ptr, which is serveBuf. An HTTP request is decoded straight from
// serveBuf (no copy of the message first); a reply whose body travels in a region is sent
// with reply, which the kernel takes as the answer.
//
//go:wasmexport orbital_service_handle
func orbitalServiceHandle(ptr, n int32) int64 {
	if len(serveBuf) == 0 || uintptr(ptr) != uintptr(unsafe.Pointer(unsafe.SliceData(serveBuf))) || int(n) > len(serveBuf) {
		return failWith("sdk: a request outside the buffer orbital_service_buffer gave")
	}
	raw, err := parseMessage(serveBuf[:n])
	if err != nil {
		return failWith("sdk: " + err.Error())
	}
	if routeHandler != nil && isRouteCall(raw.hdr.Kind, string(raw.topic), raw.payload) {
		return answerRouteCall(raw)
	}
	m := raw.message()
	if serveHandler == nil {
		for _, r := range m.Regions {
			Region{Handle: r}.Release()
		}
		return failWith(noHandler(m.Topic))
	}
	out, herr := serveHandler(requestOf(m))
	if herr != nil {
		return failWith(herr.Error())
	}
	serveOut = out
	return answer(uintptr(unsafe.Pointer(unsafe.SliceData(out))), len(out), false)
}

// answerRouteCall answers an HTTP request in a reactor: the head and the body as a gather
// answer (the kernel copies both, so the body is not first copied after the head here); a
// body in a region is answered with reply, which the kernel takes as the answer.
func answerRouteCall(raw rawMessage) int64 {
	head, body, reg := answerRoute(raw.payload, raw.handles(), routeHandler)
	if reg.Handle != 0 {
		if err := Reply(raw.hdr, head, reg.Give(Read)); err != nil {
			reg.Release()
			return failWith("sdk: " + err.Error())
		}
		return 0 // answered: the kernel ignores the result
	}
	serveOut, serveBody = head, body // alive until the kernel has copied them
	if len(body) == 0 {
		return answer(addr(head), len(head), false)
	}
	serveList = [2][2]uint32{{uint32(addr(head)), uint32(len(head))}, {uint32(addr(body)), uint32(len(body))}}
	return answer(uintptr(unsafe.Pointer(&serveList)), 16, false) | answerGather
}

var (
	serveBody []byte       // the body of the last HTTP answer
	serveList [2][2]uint32 // its gather list: (ptr, len) of the head, then of the body
)

func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

func failWith(msg string) int64 {
	serveOut = []byte(msg)
	return answer(uintptr(unsafe.Pointer(unsafe.SliceData(serveOut))), len(serveOut), true)
}
