//go:build wasip1

package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

// The camera driver's messages this demo uses (drivers/camera, JSON payloads).
type (
	openRequest struct {
		ID     string `json:"id"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		FPS    int    `json:"fps"`
	}
	openReply struct {
		Width  int    `json:"width"`
		Height int    `json:"height"`
		Stride int    `json:"stride"`
		Topic  string `json:"topic"`
		Error  string `json:"error"`
	}
	frameMeta struct {
		Seq       uint64 `json:"seq"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		Stride    int    `json:"stride"`
		SeqOffset int    `json:"seq_offset"`
	}
)

// openCamera opens a camera, waiting up to 10 s for the camera driver to be up. The caller
// subscribes to op.Topic for the frames (subscribeFrames).
func openCamera(id string, w, h, fps int) (openReply, error) {
	var op openReply
	payload, _ := json.Marshal(openRequest{ID: id, Width: w, Height: h, FPS: fps})
	deadline := sdk.Now() + 10*time.Second
	for {
		m, err := sdk.Request("camera.open", payload, 5*time.Second)
		if errors.Is(err, sdk.ErrNotFound) && sdk.Now() < deadline {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return op, fmt.Errorf("camera.open: %w (is the camera driver installed? see `orbital drivers`)", err)
		}
		if err := json.Unmarshal(m.Payload, &op); err != nil || op.Error != "" {
			return op, fmt.Errorf("camera.open %s: %s%v", id, op.Error, err)
		}
		return op, nil
	}
}

// subscribeFrames subscribes to an open camera's frames. Each frame queued for the module
// holds one of its region handles (16, module.toml) until it is taken and released, so the
// module subscribes only once it holds every region it needs: subscribed before the camera
// opened, the frames queued while the module waited for the GPU driver to compile its shader
// took all 16 and left none for its output region (ERR_LIMIT).
func subscribeFrames(op openReply) (sdk.Subscription, error) {
	return sdk.Subscribe(op.Topic, sdk.Lossy)
}

// frame is one camera frame: its region and where its sequence trailer is.
type frame struct {
	meta   frameMeta
	region sdk.Region
}

// newest returns the newest frame among msgs and releases every other region.
func newest(msgs []sdk.Message, topic string) (frame, bool) {
	var f frame
	found := false
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		rs := m.RegionList()
		if !found && m.Kind == sdk.KindPublish && m.Topic == topic && len(rs) == 1 && json.Unmarshal(m.Payload, &f.meta) == nil {
			f.region, found = rs[0], true
			continue
		}
		for _, r := range rs {
			r.Release()
		}
	}
	return f, found
}

// intact reports whether the driver has not reused the frame's region since it was published
// (its trailer still holds the frame's number).
func (f frame) intact() bool {
	var b [8]byte
	if _, err := f.region.ReadAt(b[:], int64(f.meta.SeqOffset)); err != nil {
		return false
	}
	return binary.LittleEndian.Uint64(b[:]) == f.meta.Seq
}

// copyTo reads the whole frame into pix, or reports that it was overwritten meanwhile.
func (f frame) copyTo(pix []byte) bool {
	if !f.intact() {
		return false
	}
	if _, err := f.region.ReadAt(pix[:f.meta.Stride*f.meta.Height], 0); err != nil {
		return false
	}
	return f.intact()
}
