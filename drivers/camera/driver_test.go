package camera_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers"
	"github.com/orbital/orbital/drivers/camera"
	"github.com/orbital/orbital/drivers/drivertest"
)

const pkg = "github.com/orbital/orbital/drivers/camera/cmd/orbital-camera"

func cameraSpec(t testing.TB, args ...string) drivers.Spec {
	t.Helper()
	p, d := drivertest.Build(t, pkg)
	return drivers.Spec{Name: "camera", Version: "0.1.0", Device: "camera", Path: p, Digest: d, Args: args}
}

// request polls until the driver has subscribed, then returns the decoded reply.
func request(t testing.TB, h *drivertest.Harness, topic string, req, reply any) {
	t.Helper()
	payload, _ := json.Marshal(req)
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := h.Request(topic, payload, 5*time.Second)
		if err == nil {
			if err := json.Unmarshal(m.Payload, reply); err != nil {
				t.Fatalf("%s reply %q: %v", topic, m.Payload, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", topic, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestConformance(t *testing.T) {
	drivertest.Conformance(t, cameraSpec(t))
}

func TestListWithoutDevices(t *testing.T) {
	h := drivertest.New(t)
	h.Start(cameraSpec(t, "--dev", t.TempDir()))
	var l camera.ListReply
	request(t, h, camera.TopicList, struct{}{}, &l)
	if len(l.Cameras) != 1 || l.Cameras[0].ID != "test" {
		t.Fatalf("cameras: %+v", l.Cameras)
	}
	if len(l.Errors) != 1 || l.Errors[0] != "no camera device found: /dev/video* is empty" {
		t.Fatalf("errors: %q", l.Errors)
	}
	var o camera.OpenReply
	request(t, h, camera.TopicOpen, camera.OpenRequest{ID: "video0"}, &o)
	if !strings.Contains(o.Error, "no camera device found") {
		t.Fatalf("open video0 without devices: %+v", o)
	}
	request(t, h, camera.TopicOpen, camera.OpenRequest{ID: "test", FPS: 5000}, &o)
	if !strings.Contains(o.Error, "fps 5000 is outside") {
		t.Fatalf("open at 5000 fps: %+v", o)
	}
}

// TestFramesInSharedMemory runs the test pattern end to end: driver process -> socket ->
// host -> bus -> this client, the pixels staying in the driver's memfd regions, and reads the
// drawn counter from the shared pixels of each frame.
func TestFramesInSharedMemory(t *testing.T) {
	h := drivertest.New(t)
	h.Start(cameraSpec(t))
	h.Subscribe(camera.FrameTopic("test"), bus.Lossy)
	var o camera.OpenReply
	request(t, h, camera.TopicOpen, camera.OpenRequest{ID: "test", Width: 320, Height: 240, FPS: 60}, &o)
	if o.Error != "" || o.Width != 320 || o.Height != 240 || o.Stride != 1280 || o.Topic != "camera.test.frame" {
		t.Fatalf("open: %+v", o)
	}
	var last uint64
	for i := 0; i < 10; i++ {
		m := h.Next(5 * time.Second)
		var meta camera.FrameMeta
		if err := json.Unmarshal(m.Payload, &meta); err != nil || len(m.Regions) != 1 {
			t.Fatalf("frame message %q regions %d: %v", m.Payload, len(m.Regions), err)
		}
		r, rights, err := h.Bus.Region(drivertest.ClientPID, m.Regions[0].Handle)
		if err != nil || rights != bus.RightRead || r.Fd() < 0 {
			t.Fatalf("region: %v rights %v fd %d", err, rights, r.Fd())
		}
		img := &image.RGBA{Pix: r.Bytes(), Stride: meta.Stride, Rect: image.Rect(0, 0, meta.Width, meta.Height)}
		n, ok := camera.FindCounter(img)
		if !ok {
			t.Fatalf("frame %d: no counter in the shared pixels", meta.Seq)
		}
		// The ring may already hold a newer frame in this slot (the trailer says so); never an
		// older one, and a frame whose trailer is intact carries exactly its own counter.
		trailer := binary.LittleEndian.Uint64(r.Bytes()[meta.SeqOffset:])
		if n < meta.Seq || meta.Seq <= last || (trailer == meta.Seq && n != meta.Seq) {
			t.Fatalf("counter %d (meta seq %d, trailer %d, previous %d)", n, meta.Seq, trailer, last)
		}
		last = meta.Seq
		h.Release(m)
	}
	var c map[string]string
	request(t, h, camera.TopicClose, camera.OpenRequest{ID: "test"}, &c)
	if c["error"] != "" {
		t.Fatalf("close: %v", c)
	}
}

func TestCameraGrant(t *testing.T) {
	h := drivertest.New(t, func(c *drivers.Config) {
		c.CheckDevice = func(pid bus.PID, device string) error {
			if device == "camera" {
				return fmt.Errorf("%v has no device grant %q (add it to a policy file)", pid, device)
			}
			return nil
		}
	})
	h.Start(cameraSpec(t))
	var o camera.OpenReply
	request(t, h, camera.TopicOpen, camera.OpenRequest{ID: "test"}, &o)
	if !strings.Contains(o.Error, `device "camera" not granted`) {
		t.Fatalf("open without grant: %+v", o)
	}
}

func TestCrashedCameraRestarts(t *testing.T) {
	h := drivertest.New(t)
	s := cameraSpec(t)
	s.Restart = drivers.Restart{Policy: drivers.RestartOnFailure, Backoff: 20 * time.Millisecond}
	d := h.Start(s)
	h.Subscribe(camera.FrameTopic("test"), bus.Lossy)
	var o camera.OpenReply
	request(t, h, camera.TopicOpen, camera.OpenRequest{ID: "test", Width: 64, Height: 48}, &o)
	h.Release(h.Next(5 * time.Second))
	first := d.Info().OSPID
	if err := killPID(first); err != nil {
		t.Fatal(err)
	}
	h.WaitFor(d, "restarted", 10*time.Second, func(i drivers.Info) bool {
		return i.Restarts == 1 && i.State == drivers.Running && i.OSPID != first
	})
	// The new process answers again; the client reopens the stream and frames flow.
	request(t, h, camera.TopicOpen, camera.OpenRequest{ID: "test", Width: 64, Height: 48}, &o)
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := h.Next(5 * time.Second)
		h.Release(m)
		if m.From == d.PID() && time.Now().Before(deadline) {
			var meta camera.FrameMeta
			json.Unmarshal(m.Payload, &meta)
			if meta.Seq <= 3 { // numbering restarted with the new process
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no frame from the restarted driver")
		}
	}
}

// TestIdleStreamCloses opens the test pattern, subscribes, then leaves: the driver closes the
// stream (and releases its regions) once nobody has subscribed for the idle time.
func TestIdleStreamCloses(t *testing.T) {
	h := drivertest.New(t)
	h.Start(cameraSpec(t, "--idle", "300ms"))
	sub := h.Subscribe(camera.FrameTopic("test"), bus.Lossy)
	var o camera.OpenReply
	request(t, h, camera.TopicOpen, camera.OpenRequest{ID: "test", Width: 64, Height: 48}, &o)
	h.Release(h.Next(5 * time.Second))
	h.Bus.Unsubscribe(drivertest.ClientPID, sub)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(strings.Join(h.Logs(), "\n"), "nobody subscribes to camera.test.frame for 300ms; stream closed") {
		if time.Now().After(deadline) {
			t.Fatalf("stream not closed:\n%s", strings.Join(h.Logs(), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Closed for good: camera.close says so, and the driver's regions are gone from the bus.
	var c map[string]string
	request(t, h, camera.TopicClose, camera.OpenRequest{ID: "test"}, &c)
	if !strings.Contains(c["error"], "not open") {
		t.Fatalf("close after idle: %v", c)
	}
}
