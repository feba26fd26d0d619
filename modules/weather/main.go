//go:build wasip1

// Command weather is a demo service called by name, a reactor (built -buildmode=c-shared
// because of the file named reactor): it has no receive loop. init registers its handler with
// sdk.Serve; the kernel calls the handler for each call on the process's own thread.
//
//	weather.today  CITY  -> "Paris, 2026-12-03: 9°C, light rain (weather pid 7)"
//
// The forecast is made up: the same city on the same day always gets the same weather. The
// pid in the answer shows which of the service's instances (instances = 2) took the call.
package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/orbital/orbital/modules/sdk"
)

func init() { sdk.Serve(handle) }

// main is not called in a reactor.
func main() {}

func handle(req sdk.ServiceRequest) ([]byte, error) {
	switch req.Method {
	case "today":
		city := strings.TrimSpace(string(req.Payload))
		if city == "" || len(city) > 64 {
			return nil, errors.New("today: give a city name (1 to 64 bytes) as the payload")
		}
		day := sdk.WallTime().UTC().Format("2006-01-02")
		return []byte(fmt.Sprintf("%s, %s: %s (weather pid %d)", city, day, forecast(city, day), sdk.PID())), nil
	}
	return nil, fmt.Errorf("no method %q (weather has today)", req.Method)
}

var skies = []string{"sunny", "clear", "a few clouds", "overcast", "light rain", "showers", "fog", "snow"}

// forecast is the made-up weather of city on day.
func forecast(city, day string) string {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(city) + "|" + day))
	v := h.Sum32()
	return fmt.Sprintf("%d°C, %s", int(v%35)-5, skies[(v>>8)%uint32(len(skies))])
}
