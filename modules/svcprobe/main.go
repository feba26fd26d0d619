//go:build wasip1

// Command svcprobe is a service for the tests, a command module looping in sdk.Serve (the
// weather demo is the reactor kind). Methods:
//
//	echo      the payload back
//	pid       "pid N"
//	sleep     sleep the payload's duration ("300ms"), then "slept"
//	fail      fail the call with the payload as the message
//	panic     panic (the process ends: exit 2)
//	big       a reply of the payload's number of bytes
//	call      call the service named in the payload and answer with its reply
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	if err := sdk.Serve(handle); err != nil {
		fmt.Fprintln(os.Stderr, "svcprobe:", err)
		os.Exit(1)
	}
}

func handle(req sdk.ServiceRequest) ([]byte, error) {
	switch req.Method {
	case "echo":
		return req.Payload, nil
	case "pid":
		return []byte(fmt.Sprintf("pid %d", sdk.PID())), nil
	case "sleep":
		d, err := time.ParseDuration(string(req.Payload))
		if err != nil {
			return nil, err
		}
		time.Sleep(d)
		return []byte("slept"), nil
	case "fail":
		return nil, errors.New(string(req.Payload))
	case "panic":
		panic("svcprobe: asked to panic")
	case "big":
		n, err := strconv.Atoi(string(req.Payload))
		if err != nil {
			return nil, err
		}
		return make([]byte, n), nil
	case "call":
		return sdk.Call(string(req.Payload), nil)
	}
	return nil, fmt.Errorf("svcprobe: no method %q", req.Method)
}
