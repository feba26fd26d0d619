//go:build wasip1

package main

import (
	"io"
	"os"
	"time"

	"github.com/orbital/orbital/modules/js/jsrt"
	"github.com/orbital/orbital/modules/sdk"
)

// sdkHost is jsrt.Host over the guest SDK: the real host calls.
type sdkHost struct{}

func (sdkHost) PID() uint32        { return sdk.PID() }
func (sdkHost) Args() []string     { return os.Args[1:] }
func (sdkHost) Env() []string      { return os.Environ() }
func (sdkHost) Now() time.Duration { return sdk.Now() }
func (sdkHost) Stdout() io.Writer  { return os.Stdout }
func (sdkHost) Stderr() io.Writer  { return os.Stderr }

func (sdkHost) Recv(timeout time.Duration) (sdk.Message, error) { return sdk.Recv(timeout) }

func (sdkHost) OpenSurface(w, h int, title string) (jsrt.Surface, error) {
	s, err := sdk.NewSurface(w, h, title)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (sdkHost) Send(pid uint32, data []byte) error {
	return sdk.Send(pid, data, time.Second)
}

func (sdkHost) Publish(topic string, data []byte) error { return sdk.Publish(topic, data) }

func (sdkHost) Subscribe(pattern string, mode sdk.Mode) (int32, error) {
	s, err := sdk.Subscribe(pattern, mode)
	return s.ID, err
}

func (sdkHost) Unsubscribe(id int32) error { return sdk.Subscription{ID: id}.Unsubscribe() }

func (sdkHost) Request(topic string, data []byte, timeout time.Duration) (sdk.Message, error) {
	return sdk.Request(topic, data, timeout)
}

func (sdkHost) Reply(req sdk.Message, data []byte) error { return sdk.Reply(req, data) }

func (sdkHost) Fetch(r sdk.HTTPRequest) (*sdk.HTTPResponse, error) { return sdk.Fetch(r) }

var _ jsrt.Host = sdkHost{}
