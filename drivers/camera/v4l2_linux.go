package camera

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// V4L2 ioctls and constants (linux/videodev2.h), for 64-bit Linux.
const (
	sizeofCapability  = 104
	sizeofFormat      = 208
	sizeofFmtdesc     = 64
	sizeofReqbufs     = 20
	sizeofBuffer      = 88
	sizeofStreamparm  = 204
	bufTypeCapture    = 1
	memoryMMAP        = 1
	capVideoCapture   = 0x00000001
	capStreaming      = 0x04000000
	capDeviceCaps     = 0x80000000
	fieldNone         = 1
	nBuffers          = 4
	pixYUYV           = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24
	pixMJPG           = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24
	ioctlQueryCap     = 2<<30 | sizeofCapability<<16 | 'V'<<8 | 0
	ioctlEnumFmt      = 3<<30 | sizeofFmtdesc<<16 | 'V'<<8 | 2
	ioctlSFmt         = 3<<30 | sizeofFormat<<16 | 'V'<<8 | 5
	ioctlReqBufs      = 3<<30 | sizeofReqbufs<<16 | 'V'<<8 | 8
	ioctlQueryBuf     = 3<<30 | sizeofBuffer<<16 | 'V'<<8 | 9
	ioctlQBuf         = 3<<30 | sizeofBuffer<<16 | 'V'<<8 | 15
	ioctlDQBuf        = 3<<30 | sizeofBuffer<<16 | 'V'<<8 | 17
	ioctlStreamOn     = 1<<30 | 4<<16 | 'V'<<8 | 18
	ioctlStreamOff    = 1<<30 | 4<<16 | 'V'<<8 | 19
	ioctlSParm        = 3<<30 | sizeofStreamparm<<16 | 'V'<<8 | 22
	captureFrameDelay = 2000 // ms a DQBUF may wait before the device counts as stalled
)

// ErrNoDevice is returned when /dev/video* holds no device.
var ErrNoDevice = errors.New("no camera device found: /dev/video* is empty")

// ErrBusy is returned when another program holds the device.
var ErrBusy = errors.New("camera device is busy (another program is using it)")

func ioctl(fd int, req uint, arg []byte) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(unsafe.Pointer(&arg[0])))
	if e != 0 {
		return e
	}
	return nil
}

func cstr(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Device is one V4L2 capture device.
type Device struct {
	ID      string   `json:"id"` // "video0"
	Path    string   `json:"path"`
	Name    string   `json:"name"` // the card name
	Driver  string   `json:"driver"`
	Formats []string `json:"formats"` // "yuyv", "mjpeg" (those this driver converts)
}

// ListDevices enumerates /dev/video* and keeps the capture devices that stream (QUERYCAP).
// devDir is "/dev" except in tests.
func ListDevices(devDir string) ([]Device, error) {
	paths, _ := filepath.Glob(filepath.Join(devDir, "video*"))
	if len(paths) == 0 {
		return nil, ErrNoDevice
	}
	sort.Strings(paths)
	var out []Device
	var errs []error
	for _, p := range paths {
		d, err := probe(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w (probed %d nodes: %v)", ErrNoDevice, len(paths), errors.Join(errs...))
	}
	return out, nil
}

func probe(path string) (Device, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return Device{}, fmt.Errorf("%s: %w", path, err)
	}
	defer unix.Close(fd)
	c := make([]byte, sizeofCapability)
	if err := ioctl(fd, ioctlQueryCap, c); err != nil {
		return Device{}, fmt.Errorf("%s: not a V4L2 device (VIDIOC_QUERYCAP: %v)", path, err)
	}
	caps := binary.LittleEndian.Uint32(c[84:])
	if caps&capDeviceCaps != 0 {
		caps = binary.LittleEndian.Uint32(c[88:])
	}
	if caps&capVideoCapture == 0 || caps&capStreaming == 0 {
		return Device{}, fmt.Errorf("%s: not a streaming capture device (capabilities %#x)", path, caps)
	}
	d := Device{ID: filepath.Base(path), Path: path, Name: cstr(c[16:48]), Driver: cstr(c[0:16])}
	for i := uint32(0); i < 64; i++ {
		f := make([]byte, sizeofFmtdesc)
		binary.LittleEndian.PutUint32(f[0:], i)
		binary.LittleEndian.PutUint32(f[4:], bufTypeCapture)
		if ioctl(fd, ioctlEnumFmt, f) != nil {
			break
		}
		switch binary.LittleEndian.Uint32(f[44:]) {
		case pixYUYV:
			d.Formats = append(d.Formats, "yuyv")
		case pixMJPG:
			d.Formats = append(d.Formats, "mjpeg")
		}
	}
	if len(d.Formats) == 0 {
		return Device{}, fmt.Errorf("%s (%s): offers neither YUYV nor MJPEG; this driver converts only those", path, d.Name)
	}
	return d, nil
}

// Capture streams frames from a V4L2 device with mmap buffers, converted to RGBA.
type Capture struct {
	fd     int
	w, h   int
	pix    uint32
	stride int // of the device's frames (YUYV)
	bufs   [][]byte
}

// OpenCapture opens path and negotiates w x h at fps, preferring YUYV, then MJPEG. The device
// may pick another size; Size reports what it chose.
func OpenCapture(path string, w, h, fps int) (*Capture, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EBUSY) {
			return nil, fmt.Errorf("%s: %w", path, ErrBusy)
		}
		return nil, fmt.Errorf("camera %s: %w", path, err)
	}
	c := &Capture{fd: fd}
	if err := c.negotiate(path, w, h, fps); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Capture) negotiate(path string, w, h, fps int) error {
	dev, err := probe(path)
	if err != nil {
		return err
	}
	var lastErr error
	for _, want := range []uint32{pixYUYV, pixMJPG} {
		if (want == pixYUYV && !contains(dev.Formats, "yuyv")) || (want == pixMJPG && !contains(dev.Formats, "mjpeg")) {
			continue
		}
		f := make([]byte, sizeofFormat)
		binary.LittleEndian.PutUint32(f[0:], bufTypeCapture)
		binary.LittleEndian.PutUint32(f[8:], uint32(w))
		binary.LittleEndian.PutUint32(f[12:], uint32(h))
		binary.LittleEndian.PutUint32(f[16:], want)
		binary.LittleEndian.PutUint32(f[20:], fieldNone)
		if err := ioctl(c.fd, ioctlSFmt, f); err != nil {
			if errors.Is(err, unix.EBUSY) {
				return fmt.Errorf("%s: %w", path, ErrBusy)
			}
			lastErr = err
			continue
		}
		if binary.LittleEndian.Uint32(f[16:]) != want {
			continue
		}
		c.w, c.h = int(binary.LittleEndian.Uint32(f[8:])), int(binary.LittleEndian.Uint32(f[12:]))
		c.pix, c.stride = want, int(binary.LittleEndian.Uint32(f[24:]))
		if c.stride == 0 {
			c.stride = 2 * c.w
		}
		break
	}
	if c.pix == 0 {
		return fmt.Errorf("%s: unsupported format: the device accepted neither YUYV nor MJPEG at %dx%d (%v)", path, w, h, lastErr)
	}
	if fps > 0 {
		p := make([]byte, sizeofStreamparm)
		binary.LittleEndian.PutUint32(p[0:], bufTypeCapture)
		binary.LittleEndian.PutUint32(p[12:], 1)           // timeperframe.numerator
		binary.LittleEndian.PutUint32(p[16:], uint32(fps)) // timeperframe.denominator
		ioctl(c.fd, ioctlSParm, p)                         // a device without rate control keeps its own
	}
	r := make([]byte, sizeofReqbufs)
	binary.LittleEndian.PutUint32(r[0:], nBuffers)
	binary.LittleEndian.PutUint32(r[4:], bufTypeCapture)
	binary.LittleEndian.PutUint32(r[8:], memoryMMAP)
	if err := ioctl(c.fd, ioctlReqBufs, r); err != nil {
		if errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("%s: %w", path, ErrBusy)
		}
		return fmt.Errorf("%s: VIDIOC_REQBUFS: %w", path, err)
	}
	n := int(binary.LittleEndian.Uint32(r[0:]))
	for i := 0; i < n; i++ {
		b := c.buffer(uint32(i))
		if err := ioctl(c.fd, ioctlQueryBuf, b); err != nil {
			return fmt.Errorf("%s: VIDIOC_QUERYBUF: %w", path, err)
		}
		off, length := binary.LittleEndian.Uint32(b[64:]), binary.LittleEndian.Uint32(b[72:])
		m, err := unix.Mmap(c.fd, int64(off), int(length), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			return fmt.Errorf("%s: mmap buffer %d: %w", path, i, err)
		}
		c.bufs = append(c.bufs, m)
		if err := ioctl(c.fd, ioctlQBuf, b); err != nil {
			return fmt.Errorf("%s: VIDIOC_QBUF: %w", path, err)
		}
	}
	t := make([]byte, 4)
	binary.LittleEndian.PutUint32(t, bufTypeCapture)
	if err := ioctl(c.fd, ioctlStreamOn, t); err != nil {
		if errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("%s: %w", path, ErrBusy)
		}
		return fmt.Errorf("%s: VIDIOC_STREAMON: %w", path, err)
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func (c *Capture) buffer(i uint32) []byte {
	b := make([]byte, sizeofBuffer)
	binary.LittleEndian.PutUint32(b[0:], i)
	binary.LittleEndian.PutUint32(b[4:], bufTypeCapture)
	binary.LittleEndian.PutUint32(b[60:], memoryMMAP)
	return b
}

func (c *Capture) Size() (int, int) { return c.w, c.h }

func (c *Capture) Format() string {
	if c.pix == pixMJPG {
		return "mjpeg"
	}
	return "yuyv"
}

// Next waits for the next captured frame and converts it into dst (RGBA8).
func (c *Capture) Next(ctx context.Context, dst []byte, stride int) (uint64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		fds := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return 0, fmt.Errorf("camera: poll: %w", err)
		}
		if n == 0 {
			continue
		}
		b := c.buffer(0)
		if err := ioctl(c.fd, ioctlDQBuf, b); err != nil {
			if errors.Is(err, unix.EAGAIN) {
				continue
			}
			return 0, fmt.Errorf("camera: VIDIOC_DQBUF: %w (device unplugged?)", err)
		}
		idx := binary.LittleEndian.Uint32(b[0:])
		used := binary.LittleEndian.Uint32(b[8:])
		seq := binary.LittleEndian.Uint32(b[56:])
		var cerr error
		if int(idx) < len(c.bufs) {
			frame := c.bufs[idx][:min(int(used), len(c.bufs[idx]))]
			if c.pix == pixMJPG {
				cerr = MJPEGToRGBA(dst, stride, frame, c.w, c.h)
			} else {
				cerr = YUYVToRGBA(dst, stride, frame, c.stride, c.w, c.h)
			}
		}
		if err := ioctl(c.fd, ioctlQBuf, b); err != nil {
			return 0, fmt.Errorf("camera: VIDIOC_QBUF: %w", err)
		}
		if errors.Is(cerr, ErrBadJPEG) {
			continue // a corrupt frame from the device: skip it
		}
		return uint64(seq) + 1, cerr
	}
}

// Close stops streaming and releases the buffers and the device.
func (c *Capture) Close() error {
	if c.fd < 0 {
		return nil
	}
	t := make([]byte, 4)
	binary.LittleEndian.PutUint32(t, bufTypeCapture)
	ioctl(c.fd, ioctlStreamOff, t)
	for _, b := range c.bufs {
		unix.Munmap(b)
	}
	c.bufs = nil
	err := unix.Close(c.fd)
	c.fd = -1
	return err
}
