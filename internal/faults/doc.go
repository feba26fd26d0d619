// Package faults is Orbital's fault suite (issue 18): each test makes one attack the way a
// hostile module author, package publisher or careless local user would, through the real
// orbital binary, and checks that it is refused or contained, with the figure the issue asks
// for logged beside its goal (go test -v). The package holds no code but its tests and their
// helpers; it runs with every `make test`.
//
// Modules are small WAT programs compiled in the test (wasmtime's Wat2Wasm), or the demo
// modules from modules/ (testenv.Module); the binary comes from testenv.Binary ($ORBITAL_BIN
// under make). Each test gets a fresh Orbital home with the policy files it needs, so a
// refusal here is the refusal a user would meet.
package faults
