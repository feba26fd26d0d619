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
// any crash: the caller gets ErrCrashed and the instance's restart policy applies.
func Serve(h func(req ServiceRequest) ([]byte, error)) error {
	serveHandler = h
	if reactor {
		return nil
	}
	for {
		m, err := Recv(Forever)
		if err != nil {
			return quitErr(err)
		}
		switch m.Kind {
		case KindQuit:
			return nil
		case KindCall, KindRequest:
			out, herr := h(requestOf(m))
			if herr != nil {
				hostReplyError(int64(m.Corr), herr.Error())
				continue
			}
			if err := Reply(m, out); errors.Is(err, ErrTooBig) {
				hostReplyError(int64(m.Corr), fmt.Sprintf("reply of %d bytes is too big", len(out)))
			}
		default:
			for _, r := range m.Regions {
				Region{Handle: r}.Release()
			}
		}
	}
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
// bytes the kernel wrote at ptr, which is serveBuf.
//
//go:wasmexport orbital_service_handle
func orbitalServiceHandle(ptr, n int32) int64 {
	if len(serveBuf) == 0 || uintptr(ptr) != uintptr(unsafe.Pointer(unsafe.SliceData(serveBuf))) || int(n) > len(serveBuf) {
		return failWith("sdk: a request outside the buffer orbital_service_buffer gave")
	}
	m, err := DecodeMessage(serveBuf[:n])
	switch {
	case err != nil:
		return failWith("sdk: " + err.Error())
	case serveHandler == nil:
		return failWith("sdk: this service registered no handler (call sdk.Serve from init)")
	}
	out, herr := serveHandler(requestOf(m))
	if herr != nil {
		return failWith(herr.Error())
	}
	serveOut = out
	return answer(uintptr(unsafe.Pointer(unsafe.SliceData(out))), len(out), false)
}

func failWith(msg string) int64 {
	serveOut = []byte(msg)
	return answer(uintptr(unsafe.Pointer(unsafe.SliceData(serveOut))), len(serveOut), true)
}
