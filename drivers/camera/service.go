package camera

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/orbital/orbital/drivers/driverkit"
)

// Source produces RGBA frames: the test pattern or a V4L2 capture.
type Source interface {
	Size() (w, h int)
	Format() string // what the source converts from: "pattern", "yuyv", "mjpeg"
	// Next blocks until the next frame and writes it into dst (RGBA8, stride bytes a row).
	Next(ctx context.Context, dst []byte, stride int) (uint64, error)
	Close() error
}

// Info describes one camera in a camera.list reply.
type Info struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"` // "pattern" or "v4l2"
	Path    string   `json:"path,omitempty"`
	Formats []string `json:"formats"`
}

// ListReply answers camera.list. Problems (no device, a node that is not a camera) are listed
// in Errors, so an empty list says why.
type ListReply struct {
	Cameras []Info   `json:"cameras"`
	Errors  []string `json:"errors,omitempty"`
}

// OpenRequest is camera.open's payload. Zero fields take defaults (640x480 at 30 fps).
type OpenRequest struct {
	ID     string `json:"id"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	FPS    int    `json:"fps,omitempty"`
}

// OpenReply answers camera.open: where the frames are published and their geometry. A camera
// that is already streaming is shared: the reply gives its current settings.
type OpenReply struct {
	ID     string `json:"id"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Stride int    `json:"stride"`
	FPS    int    `json:"fps"`
	Format string `json:"format"` // always "rgba"
	Source string `json:"source"` // what it was converted from
	Topic  string `json:"topic"`
	Error  string `json:"error,omitempty"`
}

// FrameMeta is the payload of each frame message; the pixels are in the attached region.
//
// The driver reuses a ring of ringSize regions, so a consumer that holds a frame for longer than
// a few frame intervals finds newer pixels in it. Each region ends with an 8-byte little-endian
// trailer at SeqOffset: 0 while the driver writes the pixels, then Seq. A consumer that reads
// the trailer before and after copying the pixels, and finds Seq both times, has a whole frame.
type FrameMeta struct {
	Seq       uint64 `json:"seq"` // the source's frame number (the pattern's drawn counter)
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Stride    int    `json:"stride"`
	SeqOffset int    `json:"seq_offset"` // where the trailer sits: Stride*Height
	Time      int64  `json:"time"`       // unix ns when the frame was ready
}

// Topics the driver answers.
const (
	TopicList  = "camera.list"
	TopicOpen  = "camera.open"
	TopicClose = "camera.close"
	PatternID  = "test"
	ringSize   = 4
	// DefaultIdleStop is how long a stream nobody subscribes to keeps running.
	DefaultIdleStop = 5 * time.Second
)

// FrameTopic is where camera id publishes its frames.
func FrameTopic(id string) string { return "camera." + id + ".frame" }

// Options configure a Service.
type Options struct {
	DevDir   string        // where video nodes live ("/dev")
	IdleStop time.Duration // close a stream nobody subscribed to for this long (DefaultIdleStop)
}

// Service is the camera driver's logic on top of a driverkit connection.
type Service struct {
	d      *driverkit.Driver
	devDir string
	idle   time.Duration

	mu      sync.Mutex
	streams map[string]*stream
}

// NewService serves camera requests on d.
func NewService(d *driverkit.Driver, o Options) *Service {
	if o.DevDir == "" {
		o.DevDir = "/dev"
	}
	if o.IdleStop <= 0 {
		o.IdleStop = DefaultIdleStop
	}
	return &Service{d: d, devDir: o.DevDir, idle: o.IdleStop, streams: map[string]*stream{}}
}

// Run subscribes to the camera topics and answers requests until the kernel stops the driver.
func (s *Service) Run() error {
	for _, t := range []string{TopicList, TopicOpen, TopicClose} {
		if _, err := s.d.Subscribe(t, driverkit.Reliable); err != nil {
			return err
		}
	}
	defer s.closeAll()
	for {
		select {
		case <-s.d.Stopping():
			return nil
		case m, ok := <-s.d.Messages():
			if !ok {
				return nil
			}
			for _, r := range m.Regions {
				r.Close()
			}
			if m.Kind != driverkit.KindRequest {
				continue
			}
			s.d.Reply(m.Corr, s.answer(m.Topic, m.Payload))
		}
	}
}

func (s *Service) answer(topic string, payload []byte) []byte {
	var v any
	switch topic {
	case TopicList:
		v = s.list()
	case TopicOpen:
		var req OpenRequest
		if err := json.Unmarshal(payload, &req); err != nil {
			v = OpenReply{Error: fmt.Sprintf("camera.open: payload is not {\"id\":...,\"width\":...,\"height\":...,\"fps\":...}: %v", err)}
		} else {
			v = s.open(req)
		}
	case TopicClose:
		var req OpenRequest
		json.Unmarshal(payload, &req)
		v = s.close(req.ID)
	default:
		v = map[string]string{"error": "unknown topic " + topic}
	}
	b, _ := json.Marshal(v)
	return b
}

func (s *Service) list() ListReply {
	r := ListReply{Cameras: []Info{{ID: PatternID, Name: "Test pattern (moving colour bars with a frame counter)", Kind: "pattern", Formats: []string{"rgba"}}}}
	devs, err := ListDevices(s.devDir)
	if err != nil {
		r.Errors = append(r.Errors, err.Error())
	}
	for _, d := range devs {
		r.Cameras = append(r.Cameras, Info{ID: d.ID, Name: d.Name, Kind: "v4l2", Path: d.Path, Formats: d.Formats})
	}
	return r
}

func (s *Service) open(req OpenRequest) OpenReply {
	if req.Width == 0 {
		req.Width = 640
	}
	if req.Height == 0 {
		req.Height = 480
	}
	if req.FPS == 0 {
		req.FPS = 30
	}
	if req.FPS < 0 || req.FPS > 1000 {
		return OpenReply{ID: req.ID, Error: fmt.Sprintf("camera.open: fps %d is outside 1..1000", req.FPS)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.streams[req.ID]; ok {
		return st.reply
	}
	var src Source
	var err error
	switch {
	case req.ID == PatternID:
		src, err = NewPattern(req.Width, req.Height, req.FPS)
	case req.ID == "":
		err = errors.New("camera.open: no camera id; ask camera.list for the ids")
	default:
		devs, lerr := ListDevices(s.devDir)
		path := ""
		for _, d := range devs {
			if d.ID == req.ID {
				path = d.Path
			}
		}
		if path == "" {
			if lerr != nil {
				err = fmt.Errorf("camera %q: %w", req.ID, lerr)
			} else {
				err = fmt.Errorf("camera %q: no such camera; ask camera.list for the ids", req.ID)
			}
			break
		}
		src, err = OpenCapture(path, req.Width, req.Height, req.FPS)
	}
	if err != nil {
		return OpenReply{ID: req.ID, Error: err.Error()}
	}
	st, err := startStream(s.d, req.ID, src, req.FPS, s.idle, func(st *stream) func() {
		return func() {
			s.mu.Lock()
			if s.streams[req.ID] == st {
				delete(s.streams, req.ID)
			}
			s.mu.Unlock()
		}
	})
	if err != nil {
		src.Close()
		return OpenReply{ID: req.ID, Error: err.Error()}
	}
	s.streams[req.ID] = st
	return st.reply
}

func (s *Service) close(id string) map[string]string {
	s.mu.Lock()
	st, ok := s.streams[id]
	delete(s.streams, id)
	s.mu.Unlock()
	if !ok {
		return map[string]string{"error": fmt.Sprintf("camera %q is not open", id)}
	}
	st.stop()
	return map[string]string{}
}

func (s *Service) closeAll() {
	s.mu.Lock()
	all := s.streams
	s.streams = map[string]*stream{}
	s.mu.Unlock()
	for _, st := range all {
		st.stop()
	}
}

// stream publishes one source's frames from a ring of shared regions.
type stream struct {
	reply  OpenReply
	cancel context.CancelFunc
	done   chan struct{}
	onIdle func()        // forgets the stream in the service (it closes itself)
	idle   time.Duration // close after this long without a subscriber
}

func startStream(d *driverkit.Driver, id string, src Source, fps int, idle time.Duration, forget func(*stream) func()) (*stream, error) {
	w, h := src.Size()
	stride := 4 * w
	ring := make([]*driverkit.Region, 0, ringSize)
	for i := 0; i < ringSize; i++ {
		r, err := d.NewRegion(stride*h + 8)
		if err != nil {
			for _, r := range ring {
				r.Close()
			}
			return nil, fmt.Errorf("camera %s: frame buffer: %w", id, err)
		}
		ring = append(ring, r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st := &stream{
		reply:  OpenReply{ID: id, Width: w, Height: h, Stride: stride, FPS: fps, Format: "rgba", Source: src.Format(), Topic: FrameTopic(id)},
		cancel: cancel, done: make(chan struct{}), idle: idle,
	}
	st.onIdle = forget(st)
	go st.run(ctx, d, src, ring)
	return st, nil
}

func (st *stream) run(ctx context.Context, d *driverkit.Driver, src Source, ring []*driverkit.Region) {
	defer close(st.done)
	defer src.Close()
	defer func() {
		for _, r := range ring {
			r.Close()
		}
	}()
	idleSince := time.Now()
	lastCheck := time.Time{}
	for i := 0; ; i++ {
		// Stream only while someone listens: a stream nobody subscribes to for idleStop is
		// closed (a real camera's light goes off when the last viewer is gone, even one that
		// crashed without camera.close).
		if now := time.Now(); now.Sub(lastCheck) >= st.idle/5 {
			lastCheck = now
			if n, err := d.Subscribers(st.reply.Topic); err == nil && n > 0 {
				idleSince = now
			} else if err == nil && now.Sub(idleSince) >= st.idle {
				d.Logf(1, "camera %s: nobody subscribes to %s for %v; stream closed", st.reply.ID, st.reply.Topic, st.idle)
				st.onIdle()
				return
			}
		}
		r := ring[i%len(ring)]
		buf, _ := r.Bytes()
		trailer := (*uint64)(unsafe.Pointer(&buf[len(buf)-8]))
		atomic.StoreUint64(trailer, 0)
		seq, err := src.Next(ctx, buf, st.reply.Stride)
		atomic.StoreUint64(trailer, seq) // little-endian on every platform Orbital runs on
		if err != nil {
			if ctx.Err() == nil {
				d.Logf(3, "camera %s: %v; stream stopped", st.reply.ID, err)
			}
			return
		}
		meta, _ := json.Marshal(FrameMeta{Seq: seq, Width: st.reply.Width, Height: st.reply.Height, Stride: st.reply.Stride, SeqOffset: len(buf) - 8, Time: time.Now().UnixNano()})
		if err := d.Publish(st.reply.Topic, meta, driverkit.Attach{Region: r, Rights: 1}); err != nil {
			return // the connection is gone
		}
	}
}

func (st *stream) stop() {
	st.cancel()
	<-st.done
}
