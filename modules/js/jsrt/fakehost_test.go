package jsrt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

// fakeHost is a Host on a virtual clock: Recv advances the clock by its timeout instead of
// waiting, and delivers the messages scheduled with at() when their time comes. When nothing
// is scheduled and the runtime would wait forever, or the clock passes limit, Recv reports
// sdk.ErrClosed, as the kernel does for a process it stops.
type fakeHost struct {
	t       *testing.T
	now     time.Duration
	limit   time.Duration
	pending []scheduled
	out     bytes.Buffer
	errOut  bytes.Buffer

	surfaces []*fakeSurface
	subs     map[int32]string
	nextSub  int32
	sent     []string // "pid:data" and "topic:data" of sends and publishes
	replies  []string // "corr:data"

	request func(topic string, data []byte, timeout time.Duration) (sdk.Message, error)
	fetch   func(sdk.HTTPRequest) (*sdk.HTTPResponse, error)
}

type scheduled struct {
	at time.Duration
	m  sdk.Message
}

func newFakeHost(t *testing.T) *fakeHost {
	return &fakeHost{t: t, limit: 10 * time.Second, subs: map[int32]string{}}
}

// at schedules m to arrive at virtual time d.
func (h *fakeHost) at(d time.Duration, m sdk.Message) {
	h.pending = append(h.pending, scheduled{d, m})
	sort.SliceStable(h.pending, func(i, j int) bool { return h.pending[i].at < h.pending[j].at })
}

// run runs src as app.js and returns the exit code and error.
func (h *fakeHost) run(src string) (int, error) {
	h.t.Helper()
	return New(h, "app.js").Run(src)
}

// mustRun runs src and fails the test on an error.
func (h *fakeHost) mustRun(src string) int {
	h.t.Helper()
	code, err := h.run(src)
	if err != nil {
		h.t.Fatalf("run: %v\nstdout: %s", err, h.out.String())
	}
	return code
}

func (h *fakeHost) PID() uint32        { return 7 }
func (h *fakeHost) Args() []string     { return []string{"a", "b"} }
func (h *fakeHost) Env() []string      { return []string{"LANG=C", "EMPTY=", "A=b=c"} }
func (h *fakeHost) Now() time.Duration { return h.now }
func (h *fakeHost) Stdout() io.Writer  { return &h.out }
func (h *fakeHost) Stderr() io.Writer  { return &h.errOut }

func (h *fakeHost) Recv(timeout time.Duration) (sdk.Message, error) {
	if len(h.pending) > 0 && (timeout < 0 || h.pending[0].at <= h.now+timeout) {
		s := h.pending[0]
		h.pending = h.pending[1:]
		h.now = max(h.now, s.at)
		return s.m, nil
	}
	if timeout < 0 || h.now+timeout > h.limit {
		return sdk.Message{}, sdk.ErrClosed
	}
	h.now += timeout
	return sdk.Message{}, sdk.ErrTimeout
}

func (h *fakeHost) OpenSurface(w, ht int, title string) (Surface, error) {
	if w < 1 || ht < 1 || w > 8192 || ht > 8192 {
		return nil, sdk.ErrInvalid
	}
	s := &fakeSurface{id: int32(len(h.surfaces) + 1), w: w, h: ht, title: title}
	h.surfaces = append(h.surfaces, s)
	return s, nil
}

func (h *fakeHost) Send(pid uint32, data []byte) error {
	h.sent = append(h.sent, fmt.Sprintf("%d:%s", pid, data))
	return nil
}

func (h *fakeHost) Publish(topic string, data []byte) error {
	if strings.HasPrefix(topic, "denied.") {
		return sdk.ErrDenied
	}
	h.sent = append(h.sent, topic+":"+string(data))
	return nil
}

func (h *fakeHost) Subscribe(pattern string, _ sdk.Mode) (int32, error) {
	h.nextSub++
	h.subs[h.nextSub] = pattern
	return h.nextSub, nil
}

func (h *fakeHost) Unsubscribe(id int32) error {
	if _, ok := h.subs[id]; !ok {
		return sdk.ErrNotFound
	}
	delete(h.subs, id)
	return nil
}

func (h *fakeHost) Request(topic string, data []byte, timeout time.Duration) (sdk.Message, error) {
	if h.request == nil {
		return sdk.Message{}, sdk.ErrNotFound
	}
	return h.request(topic, data, timeout)
}

func (h *fakeHost) Reply(req sdk.Message, data []byte) error {
	h.replies = append(h.replies, fmt.Sprintf("%d:%s", req.Corr, data))
	return nil
}

func (h *fakeHost) Fetch(r sdk.HTTPRequest) (*sdk.HTTPResponse, error) {
	if h.fetch == nil {
		return nil, sdk.ErrDenied
	}
	return h.fetch(r)
}

// fakeSurface keeps the last frame presented.
type fakeSurface struct {
	id       int32
	w, h     int
	title    string
	presents int
	last     *image.RGBA
	closed   bool
}

func (s *fakeSurface) ID() int32 { return s.id }

func (s *fakeSurface) Present(img *image.RGBA) error {
	if img.Rect.Dx() != s.w || img.Rect.Dy() != s.h {
		return sdk.ErrInvalid
	}
	s.presents++
	s.last = &image.RGBA{Pix: append([]byte(nil), img.Pix...), Stride: img.Stride, Rect: img.Rect}
	return nil
}

func (s *fakeSurface) Resize(w, h int) error { s.w, s.h = w, h; return nil }
func (s *fakeSurface) Close() error          { s.closed = true; return nil }

// pixel is the last presented frame's RGBA at (x, y).
func (s *fakeSurface) pixel(x, y int) [4]byte {
	if s.last == nil {
		return [4]byte{}
	}
	i := s.last.PixOffset(x, y)
	return [4]byte(s.last.Pix[i : i+4])
}

// eventMsg builds a kind-16 input event message for surface sid.
func eventMsg(typ uint32, sid int32, x, y, code int32, mods uint32, dy float32) sdk.Message {
	p := make([]byte, sdk.EventSize)
	le := binary.LittleEndian
	le.PutUint32(p[0:], typ)
	le.PutUint32(p[4:], uint32(sid))
	le.PutUint32(p[8:], uint32(x))
	le.PutUint32(p[12:], uint32(y))
	le.PutUint32(p[16:], uint32(code))
	le.PutUint32(p[20:], mods)
	le.PutUint32(p[28:], math.Float32bits(dy))
	return sdk.Message{Kind: sdk.KindEvent, Payload: p}
}

var _ Host = (*fakeHost)(nil)
