package camera

import (
	"context"
	"fmt"
	"time"
)

// barColours are the eight classic 75% colour bars.
var barColours = [8][3]byte{
	{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0},
	{191, 0, 191}, {191, 0, 0}, {0, 0, 191}, {16, 16, 16},
}

// Pattern is a test-pattern source that runs everywhere: colour bars that move a few pixels per
// frame, with the frame counter drawn as digits in the top-left corner.
type Pattern struct {
	w, h  int
	every time.Duration // 0: as fast as the consumer takes frames
	next  time.Time
	n     uint64
}

// NewPattern returns a w x h pattern paced at fps frames per second (0: unpaced).
func NewPattern(w, h, fps int) (*Pattern, error) {
	if w < 16 || h < 16 || w > 8192 || h > 8192 {
		return nil, fmt.Errorf("test pattern: size %dx%d is outside 16..8192", w, h)
	}
	p := &Pattern{w: w, h: h}
	if fps > 0 {
		p.every = time.Second / time.Duration(fps)
	}
	return p, nil
}

func (p *Pattern) Size() (int, int) { return p.w, p.h }
func (p *Pattern) Format() string   { return "pattern" }
func (p *Pattern) Close() error     { return nil }

// Next waits for the next frame time and draws frame n+1 into dst.
func (p *Pattern) Next(ctx context.Context, dst []byte, stride int) (uint64, error) {
	if p.every > 0 {
		now := time.Now()
		if p.next.IsZero() {
			p.next = now
		}
		if d := p.next.Sub(now); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return 0, ctx.Err()
			case <-t.C:
			}
		}
		p.next = p.next.Add(p.every)
		if p.next.Before(now) { // fell behind: do not burst to catch up
			p.next = now.Add(p.every)
		}
	}
	p.n++
	Draw(dst, stride, p.w, p.h, p.n)
	return p.n, nil
}

// Draw renders test-pattern frame n (w x h RGBA8, stride bytes a row) into dst.
func Draw(dst []byte, stride, w, h int, n uint64) {
	barW := (w + 7) / 8
	shift := int(n*4) % w
	// Draw one row, then copy it down: every row of the bars is the same.
	row := dst[:4*w]
	for x := 0; x < w; x++ {
		c := barColours[((x+shift)%w)/barW]
		row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c[0], c[1], c[2], 255
	}
	for y := 1; y < h; y++ {
		copy(dst[y*stride:y*stride+4*w], row)
	}
	drawCounter(dst, stride, w, h, n)
}
