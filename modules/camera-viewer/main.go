// Command camera-viewer lists the cameras the camera driver offers, opens one and shows its
// live frames in a window. Frames arrive as bus messages on camera.<id>.frame carrying a
// shared region of RGBA pixels; the viewer copies each region once into the window's image
// (region_read) and presents it.
//
// Flags: --camera ID (default: the first real camera, else the test pattern "test"),
// --size WxH (default 640x480), --fps N (default 30).
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"os"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

// The camera driver's messages (drivers/camera, JSON payloads).
type cameraInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

type listReply struct {
	Cameras []cameraInfo `json:"cameras"`
	Errors  []string     `json:"errors"`
}

type openRequest struct {
	ID     string `json:"id"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	FPS    int    `json:"fps"`
}

type openReply struct {
	ID     string `json:"id"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Stride int    `json:"stride"`
	Topic  string `json:"topic"`
	Error  string `json:"error"`
}

type frameMeta struct {
	Seq       uint64 `json:"seq"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Stride    int    `json:"stride"`
	SeqOffset int    `json:"seq_offset"`
}

func main() {
	camID := flag.String("camera", "", "camera id (default: the first real camera, else the test pattern)")
	size := flag.String("size", "640x480", "frame size WxH")
	fps := flag.Int("fps", 30, "frames per second to ask the camera for")
	flag.Parse()
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 {
		fmt.Fprintf(os.Stderr, "camera-viewer: --size %q: want WxH like 640x480\n", *size)
		os.Exit(2)
	}
	if err := run(*camID, w, h, *fps); err != nil {
		sdk.Errorf("camera-viewer: %v", err)
		fmt.Fprintln(os.Stderr, "camera-viewer:", err)
		os.Exit(1)
	}
}

// request asks the driver, waiting up to 10 s for it to be up (it may still be starting).
func request(topic string, req, reply any) error {
	payload, _ := json.Marshal(req)
	deadline := sdk.Now() + 10*time.Second
	for {
		m, err := sdk.Request(topic, payload, 5*time.Second)
		if errors.Is(err, sdk.ErrNotFound) && sdk.Now() < deadline {
			time.Sleep(50 * time.Millisecond) // no subscriber yet: the driver is starting
			continue
		}
		if err != nil {
			return fmt.Errorf("%w (is the camera driver installed and started? see `orbital drivers`)", err)
		}
		for _, r := range m.RegionList() {
			r.Release()
		}
		if err := json.Unmarshal(m.Payload, reply); err != nil {
			return fmt.Errorf("%s: bad reply %q: %v", topic, m.Payload, err)
		}
		return nil
	}
}

func run(camID string, w, h, fps int) error {
	var list listReply
	if err := request("camera.list", struct{}{}, &list); err != nil {
		return err
	}
	for _, c := range list.Cameras {
		sdk.Infof("camera %s: %s (%s)", c.ID, c.Name, c.Kind)
	}
	for _, e := range list.Errors {
		sdk.Infof("camera driver: %s", e)
	}
	title := ""
	for _, c := range list.Cameras {
		if camID == "" && c.Kind != "pattern" {
			camID = c.ID
		}
		if c.ID == camID {
			title = c.Name
		}
	}
	if camID == "" {
		camID = "test"
		for _, c := range list.Cameras {
			if c.ID == camID {
				title = c.Name
			}
		}
	}
	topic := "camera." + camID + ".frame"
	sub, err := sdk.Subscribe(topic, sdk.Lossy)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	var op openReply
	if err := request("camera.open", openRequest{ID: camID, Width: w, Height: h, FPS: fps}, &op); err != nil {
		return err
	}
	if op.Error != "" {
		return fmt.Errorf("open camera %s: %s", camID, op.Error)
	}
	sdk.Infof("camera-viewer: showing %s (%dx%d) from %s", camID, op.Width, op.Height, op.Topic)
	defer request("camera.close", openRequest{ID: camID}, &map[string]string{})

	s, err := sdk.NewSurface(op.Width, op.Height, "Camera: "+title)
	if err != nil {
		return err
	}
	defer s.Close()
	v := &viewer{img: s.NewImage()}
	v.waiting()
	var shown uint64
	return sdk.Run(s, 60, func(f *sdk.Frame) bool {
		if v.take(f.Messages, topic) && v.seq != shown {
			shown = v.seq
			f.Present(v.img)
		} else if f.N == 0 {
			f.Present(v.img)
		}
		return true
	})
}

// viewer holds the image shown and the last frame number copied into it.
type viewer struct {
	img *image.RGBA
	seq uint64
}

// waiting paints the "no frame yet" screen: dark grey.
func (v *viewer) waiting() {
	for i := 0; i < len(v.img.Pix); i += 4 {
		c := color.RGBA{32, 32, 40, 255}
		v.img.Pix[i], v.img.Pix[i+1], v.img.Pix[i+2], v.img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
}

// take copies the newest complete frame among msgs into the image and releases every region.
func (v *viewer) take(msgs []sdk.Message, topic string) bool {
	got := false
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		regions := m.RegionList()
		if !got && m.Kind == sdk.KindPublish && m.Topic == topic && len(regions) == 1 {
			got = v.copyFrame(m.Payload, regions[0])
		}
		for _, r := range regions {
			r.Release()
		}
	}
	return got
}

// copyFrame reads one frame region into the image: one copy, checked against the region's
// sequence trailer so a frame the driver overwrote meanwhile is skipped, never shown torn.
func (v *viewer) copyFrame(payload []byte, r sdk.Region) bool {
	var meta frameMeta
	if json.Unmarshal(payload, &meta) != nil || meta.Width != v.img.Rect.Dx() || meta.Height != v.img.Rect.Dy() || meta.Stride != v.img.Stride {
		return false
	}
	var tr [8]byte
	seqAt := func() uint64 {
		if _, err := r.ReadAt(tr[:], int64(meta.SeqOffset)); err != nil {
			return 0
		}
		return binary.LittleEndian.Uint64(tr[:])
	}
	if seqAt() != meta.Seq {
		return false
	}
	if _, err := r.ReadAt(v.img.Pix, 0); err != nil {
		sdk.Warnf("camera-viewer: %v", err)
		return false
	}
	if seqAt() != meta.Seq {
		return false
	}
	v.seq = meta.Seq
	return true
}
