//go:build wasip1

package sdk

import "fmt"

// RouteHandler answers one HTTP request.
type RouteHandler func(req *RouteRequest) RouteResponse

// routeHandler is the handler ListenRoutes registered.
var routeHandler RouteHandler

// ListenRoutes makes h answer the HTTP requests of this module's routes. The instance calls
// the module as a service (method RouteMethod) for each request, starting a process when none
// runs (docs/abi.md, "HTTP routes"). In a reactor (-buildmode=c-shared) call it from init: it
// registers h and returns, and the kernel calls h on the process's own thread for each
// request; Serve's handler, when one is registered too, answers the other calls. In a command
// module it answers calls until the kernel asks the process to quit (nil) or Recv fails, as
// Serve does: HTTP requests with h, other calls with a failure. A module with a receive loop
// of its own uses HandleRoute instead.
func ListenRoutes(h RouteHandler) error {
	routeHandler = h
	if reactor {
		return nil
	}
	return serveCalls()
}

// maxInline is the largest reply body sent in the message itself; a larger one goes in a
// region (the bus carries at most 1 MiB, header included).
const maxInline = 768 << 10

// HandleRoute answers m with h when m is an HTTP request (a call with the method RouteMethod
// whose payload is one) and reports whether it was: for a command module's own receive loop.
// A request body sent in a region is read and released first.
func HandleRoute(m Message, h RouteHandler) (bool, error) {
	if !isRouteCall(m.Kind, m.Topic, m.Payload) {
		return false, nil
	}
	head, body, reg := answerRoute(m.Payload, m.Regions, h)
	if reg.Handle != 0 {
		err := Reply(m, head, reg.Give(Read))
		if err != nil {
			reg.Release()
		}
		return true, err
	}
	routeOut = append(head, body...)
	return true, Reply(m, routeOut)
}

// routeOut holds the encoding of the last reply: reused, since a command's Reply copies it and
// a reactor's answer needs to stay valid only until the kernel calls the module again.
var routeOut []byte

// answerRoute answers the HTTP request encoded in payload (regions came with it and are this
// process's: they are released) with h: the reply's encoding up to its body (head, in
// routeOut) and its body; or, when the body is too large for the message, the whole encoding
// in head and the body in reg (the zero Region otherwise).
func answerRoute(payload []byte, regions []uint32, h RouteHandler) (head, body []byte, reg Region) {
	req, n, inRegion, err := decodeRouteRequest(payload)
	if err == nil && inRegion {
		if len(regions) == 0 {
			err = errHTTPFormat
		} else {
			req.Body = make([]byte, n)
			_, err = Region{Handle: regions[0]}.ReadAt(req.Body, 0)
		}
	}
	for _, r := range regions {
		Region{Handle: r}.Release()
	}
	if err != nil {
		bad := RouteResponse{Status: 400, Body: []byte(err.Error())}
		return headOf(&bad, false), bad.Body, Region{}
	}
	resp := h(req)
	if len(resp.Body) <= maxInline {
		return headOf(&resp, false), resp.Body, Region{}
	}
	reg, err = NewRegion(int64(len(resp.Body)))
	if err == nil {
		if _, err = reg.WriteAt(resp.Body, 0); err != nil {
			reg.Release()
		}
	}
	if err != nil {
		small := RouteResponse{Status: 500, Body: []byte(fmt.Sprintf("response of %d bytes: %v", len(resp.Body), err))}
		return headOf(&small, false), small.Body, Region{}
	}
	return headOf(&resp, true), nil, reg
}

func headOf(resp *RouteResponse, inRegion bool) []byte {
	routeOut = encodeRouteHead(routeOut[:0], resp, inRegion)
	return routeOut
}
