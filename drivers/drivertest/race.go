//go:build race

package drivertest

// race: this test binary runs under the race detector, and so do the cgo drivers it builds.
const race = true
