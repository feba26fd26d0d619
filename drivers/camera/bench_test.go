package camera_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"testing"
	"time"

	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/drivers/camera"
	"github.com/orbital/orbital/drivers/drivertest"
)

// BenchmarkFrames1280x720 measures frames per second from the camera driver's test pattern to a
// consumer in the kernel process, through the real driver protocol: the driver draws into a
// shared memfd region, sends a ~100-byte frame message over its socket, the host publishes it
// on the bus with the region attached, and the consumer reads the pixels in place (it decodes
// the drawn counter, touching the frame). host-copies/frame is the bytes that crossed the
// socket divided by the frame size: the pixels themselves never pass through the kernel.
// The baseline copies one 1280x720 RGBA frame (what a one-copy design would pay per frame).
func BenchmarkFrames1280x720(b *testing.B) {
	const w, h = 1280, 720
	b.Run("base=memcpy-frame", func(b *testing.B) {
		src, dst := make([]byte, 4*w*h), make([]byte, 4*w*h)
		b.SetBytes(4 * w * h)
		b.ReportAllocs()
		start := time.Now()
		n := 0
		for b.Loop() {
			copy(dst, src)
			n++
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "fps")
		b.ReportMetric(1, "host-copies/frame")
	})
	b.Run("driver", func(b *testing.B) {
		h := drivertest.New(b)
		d := h.Start(cameraSpec(b))
		h.Subscribe(camera.FrameTopic("test"), bus.Lossy)
		var o camera.OpenReply
		request(b, h, camera.TopicOpen, camera.OpenRequest{ID: "test", Width: w, Height: 720, FPS: 1000}, &o)
		if o.Error != "" {
			b.Fatal(o.Error)
		}
		in0 := d.Info().SocketIn
		b.SetBytes(4 * w * 720)
		b.ReportAllocs()
		frames, stale, last := 0, 0, uint64(0)
		start := time.Now()
		for b.Loop() {
			m, err := h.Inbox.RecvTimeout(context.Background(), 5*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			var meta camera.FrameMeta
			json.Unmarshal(m.Payload, &meta)
			r, _, err := h.Bus.Region(drivertest.ClientPID, m.Regions[0].Handle)
			if err != nil {
				b.Fatal(err)
			}
			img := &image.RGBA{Pix: r.Bytes(), Stride: meta.Stride, Rect: image.Rect(0, 0, meta.Width, meta.Height)}
			pix := r.Bytes()
			before := binary.LittleEndian.Uint64(pix[meta.SeqOffset:])
			n, ok := camera.FindCounter(img)
			after := binary.LittleEndian.Uint64(pix[meta.SeqOffset:])
			if before == meta.Seq && after == meta.Seq {
				if !ok || n != meta.Seq || n <= last {
					b.Fatalf("frame %d: counter %d (%v), previous %d", meta.Seq, n, ok, last)
				}
				last = n
			} else {
				stale++ // the driver reused the slot before we read it
			}
			h.Release(m)
			frames++
		}
		el := time.Since(start)
		in1 := d.Info().SocketIn
		b.ReportMetric(float64(frames)/el.Seconds(), "fps")
		b.ReportMetric(float64(in1-in0)/float64(frames)/float64(4*w*720), "host-copies/frame")
		b.ReportMetric(float64(in1-in0)/float64(frames), "socket-B/frame")
		b.ReportMetric(float64(stale)/float64(frames), "overwritten/frame")
	})
}
