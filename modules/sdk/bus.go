//go:build wasip1

package sdk

import (
	"fmt"
	"time"
)

// Send sends data to the process pid (a direct message, kind 1), with optional region grants.
// When pid's inbox is full it waits up to timeout (Forever: until the process is stopped; 0:
// not at all) and then fails with ErrFull.
func Send(pid uint32, data []byte, timeout time.Duration, grants ...Grant) error {
	return SendKind(pid, KindDirect, data, timeout, grants...)
}

// SendKind is Send with an application-defined kind (>= 32, or KindDirect); kinds 2..31 belong
// to the bus and the kernel and are refused with ErrInvalid.
func SendKind(pid uint32, kind Kind, data []byte, timeout time.Duration, grants ...Grant) error {
	p, n := bytesPtr(data)
	g, ng := grantsPtr(grants)
	if _, err := check(hostSend(int32(pid), int32(kind), p, n, g, ng, int64(timeout))); err != nil {
		return fmt.Errorf("orbital: send to pid %d: %w", pid, err)
	}
	return nil
}

// Publish sends data to every subscriber of topic (tokens separated by '.', no wildcards).
// It fails with ErrNotFound when nobody subscribes, ErrFull when a reliable subscriber stayed
// full for the bus's send timeout (the others still got it), ErrBadTopic for a malformed topic.
func Publish(topic string, data []byte, grants ...Grant) error {
	p, n := bytesPtr(data)
	g, ng := grantsPtr(grants)
	if _, err := check(hostPublish(topic, p, n, g, ng)); err != nil {
		return fmt.Errorf("orbital: publish on %q: %w", topic, err)
	}
	return nil
}

// Subscription is one subscribed pattern.
type Subscription struct {
	ID      int32
	Pattern string
}

// Subscribe delivers messages published on topics matching pattern to this process's inbox
// (read them with Recv). '*' matches one token, a final '>' one or more.
func Subscribe(pattern string, mode Mode) (Subscription, error) {
	id, err := check(hostSubscribe(pattern, int32(mode)))
	if err != nil {
		return Subscription{}, fmt.Errorf("orbital: subscribe to %q: %w", pattern, err)
	}
	return Subscription{ID: id, Pattern: pattern}, nil
}

// Unsubscribe stops the subscription.
func (s Subscription) Unsubscribe() error {
	if _, err := check(hostUnsubscribe(s.ID)); err != nil {
		return fmt.Errorf("orbital: unsubscribe from %q: %w", s.Pattern, err)
	}
	return nil
}

// Request sends data as a request on topic and waits up to timeout (Forever: until stopped)
// for the first reply, which only this process receives. ErrNotFound: no subscriber;
// ErrTimeout: no reply in time.
func Request(topic string, data []byte, timeout time.Duration) (Message, error) {
	return requestGrants(topic, data, nil, timeout)
}

// RequestRegions is Request with region grants attached, as Send and Publish attach them: the
// responder gets handles to the same memory (the GPU driver reads and writes them in place).
func RequestRegions(topic string, data []byte, timeout time.Duration, grants ...Grant) (Message, error) {
	return requestGrants(topic, data, grants, timeout)
}

func requestGrants(topic string, data []byte, grants []Grant, timeout time.Duration) (Message, error) {
	p, n := bytesPtr(data)
	g, ng := grantsPtr(grants)
	first := true
	m, err := recvMessage(func(buf []byte) int32 {
		b, c := bytesPtr(buf)
		if !first {
			// The reply did not fit: the host queued it as the next message recv returns.
			return hostRecv(b, c, 0)
		}
		first = false
		if ng > 0 {
			return hostRequestRegions(topic, p, n, g, ng, b, c, int64(timeout))
		}
		return hostRequest(topic, p, n, b, c, int64(timeout))
	})
	if err != nil {
		return Message{}, fmt.Errorf("orbital: request on %q: %w", topic, err)
	}
	return m, nil
}

// Reply answers the request req (a KindRequest message from Recv) with data and optional region
// grants. Only the requester receives it; a reply after the requester gave up is ErrNotFound.
func Reply(req Message, data []byte, grants ...Grant) error {
	p, n := bytesPtr(data)
	g, ng := grantsPtr(grants)
	if _, err := check(hostReply(int64(req.Corr), p, n, g, ng)); err != nil {
		return fmt.Errorf("orbital: reply to request %d: %w", req.Corr, err)
	}
	return nil
}

// NewRegion creates a zeroed region of size bytes that this process holds with read and write
// rights. ErrLimit: over the process's region count or bytes.
func NewRegion(size int64) (Region, error) {
	h, err := check(hostRegionCreate(size))
	if err != nil {
		return Region{}, fmt.Errorf("orbital: create region of %d bytes: %w", size, err)
	}
	return Region{Handle: uint32(h)}, nil
}

// Size is the region's size in bytes.
func (r Region) Size() (int64, error) {
	n := hostRegionSize(int32(r.Handle))
	if n < 0 {
		return 0, fmt.Errorf("orbital: size of region %d: %w", r.Handle, Errno(n))
	}
	return n, nil
}

// ReadAt copies len(p) bytes of the region at off into p (one copy). The whole range must lie
// inside the region (ErrInvalid otherwise); ErrRights without read rights.
func (r Region) ReadAt(p []byte, off int64) (int, error) {
	ptr, n := bytesPtr(p)
	got, err := check(hostRegionRead(int32(r.Handle), off, ptr, n))
	if err != nil {
		return 0, fmt.Errorf("orbital: read %d bytes of region %d at %d: %w", len(p), r.Handle, off, err)
	}
	return int(got), nil
}

// WriteAt copies p into the region at off (one copy).
func (r Region) WriteAt(p []byte, off int64) (int, error) {
	ptr, n := bytesPtr(p)
	got, err := check(hostRegionWrite(int32(r.Handle), off, ptr, n))
	if err != nil {
		return 0, fmt.Errorf("orbital: write %d bytes to region %d at %d: %w", len(p), r.Handle, off, err)
	}
	return int(got), nil
}

// Release drops this process's handle; the region is freed when no process holds it.
func (r Region) Release() error {
	if _, err := check(hostRegionRelease(int32(r.Handle))); err != nil {
		return fmt.Errorf("orbital: release region %d: %w", r.Handle, err)
	}
	return nil
}
