//go:build wasip1

package sdk

import (
	"fmt"
	"time"
)

// Forever, as a timeout, waits until something arrives or the process is stopped.
const Forever time.Duration = -1

// recvBuf is the buffer the host writes messages into; it grows (doubling) when the host says
// ERR_TOO_SMALL, up to maxRecvBuf, and is reused: the package is single-threaded by contract.
var recvBuf = make([]byte, 64<<10)

const maxRecvBuf = 64 << 20

// Recv returns the next message of the process's inbox: an input event, a quit request or bus
// traffic. timeout < 0 (Forever) waits until a message arrives, 0 polls, > 0 waits at most
// that long. It returns ErrTimeout when nothing came and ErrClosed when the process is being
// stopped (return from main then).
func Recv(timeout time.Duration) (Message, error) {
	return recvMessage(func(buf []byte) int32 {
		p, n := bytesPtr(buf)
		r := hostRecv(p, n, int64(timeout))
		// A message too big for buf stays queued: the retry must not wait again.
		timeout = 0
		return r
	})
}

// recvMessage runs call with the shared buffer, growing it while the host answers
// ERR_TOO_SMALL, and decodes the message written there. call returns the host's result: the
// message length or a negative error code. Bus calls that write a message (request) use it too.
func recvMessage(call func(buf []byte) int32) (Message, error) {
	for {
		r := call(recvBuf)
		if r == int32(ErrTooSmall) {
			if len(recvBuf) >= maxRecvBuf {
				return Message{}, fmt.Errorf("orbital: message larger than %d bytes: %w", maxRecvBuf, ErrTooSmall)
			}
			recvBuf = make([]byte, 2*len(recvBuf))
			continue
		}
		if r < 0 {
			return Message{}, Errno(r)
		}
		if int(r) > len(recvBuf) {
			return Message{}, fmt.Errorf("orbital: host reported a %d-byte message in a %d-byte buffer: %w", r, len(recvBuf), ErrInternal)
		}
		return DecodeMessage(recvBuf[:r])
	}
}
