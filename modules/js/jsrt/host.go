package jsrt

import (
	"image"
	"io"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

// Forever, as a Recv timeout, waits until a message comes (sdk.Forever's value).
const Forever time.Duration = -1

// Host is what a script's runtime needs from Orbital: the guest SDK's calls, as an interface
// so the runtime tests natively with a fake (modules/js/host.go is the real one, over sdk).
// Every method is called from the runtime's one goroutine.
type Host interface {
	PID() uint32
	Args() []string // the script's arguments (argv after the process name)
	Env() []string  // the environment, KEY=VALUE (policy [env] and orbital run --env)
	Now() time.Duration
	Stdout() io.Writer // console.log, console.info, console.debug
	Stderr() io.Writer // console.warn, console.error

	// Recv is sdk.Recv: the next message of the inbox, sdk.ErrTimeout when none came in time
	// (timeout Forever waits until one comes), sdk.ErrClosed when the process is stopping.
	Recv(timeout time.Duration) (sdk.Message, error)
	OpenSurface(width, height int, title string) (Surface, error)

	Send(pid uint32, data []byte) error
	Publish(topic string, data []byte) error
	Subscribe(pattern string, mode sdk.Mode) (id int32, err error)
	Unsubscribe(id int32) error
	Request(topic string, data []byte, timeout time.Duration) (sdk.Message, error)
	Reply(req sdk.Message, data []byte) error
	Fetch(r sdk.HTTPRequest) (*sdk.HTTPResponse, error)
}

// Surface is a window the host opened (*sdk.Surface is one).
type Surface interface {
	ID() int32
	Present(img *image.RGBA) error
	Resize(width, height int) error
	Close() error
}
