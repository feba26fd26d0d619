//go:build wasip1

// Command forecast asks the weather service for today's weather in each city given (a few by
// default) and prints the answers: a service called by name from an app. The first call starts
// weather if none of its instances runs; they stop again a minute after the last call.
//
//	orbital run forecast -- Paris Lagos Tokyo
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	cities := os.Args[1:]
	if len(cities) == 0 {
		cities = []string{"Paris", "Lagos", "Tokyo", "Lima"}
	}
	failed := false
	for _, city := range cities {
		rep, err := sdk.Call("weather.today", []byte(city))
		if err != nil {
			fmt.Fprintf(os.Stderr, "forecast: %s: %v%s\n", city, err, hint(err))
			failed = true
			continue
		}
		fmt.Println(string(rep))
	}
	if failed {
		os.Exit(1)
	}
}

// hint says what to do about the errors a person can fix.
func hint(err error) string {
	switch {
	case errors.Is(err, sdk.ErrNotFound):
		return " (install the weather service: orbital install weather)"
	case errors.Is(err, sdk.ErrDenied):
		return " (a policy must grant [bus] call = [\"weather\"]: orbital policy explain forecast)"
	}
	return ""
}
