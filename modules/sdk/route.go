//go:build wasip1

package sdk

import "fmt"

// RouteHandler answers one HTTP request.
type RouteHandler func(req *RouteRequest) RouteResponse

// ListenRoutes makes this module receive the HTTP requests of its routes: name is the module's
// own name (its requests come on the topic "http.<name>", which its policy must let it
// subscribe to).
func ListenRoutes(name string) error {
	_, err := Subscribe("http."+name, Reliable)
	return err
}

// maxInline is the largest reply body sent in the message itself; a larger one goes in a
// region (the bus carries at most 1 MiB, header included).
const maxInline = 768 << 10

// HandleRoute answers m with h when m is an HTTP request (a request or call whose payload is
// one) and reports whether it was; a request body sent in a region is read and released first.
func HandleRoute(m Message, h RouteHandler) (bool, error) {
	if m.Kind != KindRequest || !IsRouteRequest(m.Payload) {
		return false, nil
	}
	req, n, inRegion, err := decodeRouteRequest(m.Payload)
	if err == nil && inRegion {
		if len(m.Regions) == 0 {
			err = errHTTPFormat
		} else {
			req.Body = make([]byte, n)
			_, err = Region{Handle: m.Regions[0]}.ReadAt(req.Body, 0)
		}
	}
	for _, r := range m.RegionList() {
		r.Release()
	}
	if err != nil {
		resp := RouteResponse{Status: 400, Body: []byte(err.Error())}
		return true, Reply(m, encodeRouteReply(&resp, false))
	}
	resp := h(req)
	if len(resp.Body) <= maxInline {
		return true, Reply(m, encodeRouteReply(&resp, false))
	}
	reg, err := NewRegion(int64(len(resp.Body)))
	if err != nil {
		small := RouteResponse{Status: 500, Body: []byte(fmt.Sprintf("response of %d bytes: %v", len(resp.Body), err))}
		return true, Reply(m, encodeRouteReply(&small, false))
	}
	if _, err := reg.WriteAt(resp.Body, 0); err != nil {
		reg.Release()
		return true, err
	}
	return true, Reply(m, encodeRouteReply(&resp, true), reg.Give(Read))
}
