// Package drivertest is the shared test harness for Orbital's native drivers, after Nomad's
// plugins/drivers/testutils: it builds a driver executable, runs it through the real host
// (drivers.Manager: digest check, sandboxed exec, handshake over the socket) on a real bus, and
// gives a test a client process on that bus to publish, subscribe and request with. Conformance
// drives any driver through the lifecycle every driver must survive (handshake, stop, kill,
// crash and restart) and checks that no child process or memfd is left behind.
//
// Lifecycle: New registers cleanup with t.Cleanup (the manager is closed and leaks checked).
// Concurrency: a Harness belongs to one test goroutine.
package drivertest
