// Package testenv gives end-to-end tests the real parts of Orbital: the orbital binary and the
// demo modules built from modules/ (once per test binary, or ready-made from $ORBITAL_BIN and
// $ORBITAL_MODULES, which the Makefile sets), a fresh Orbital home, a private Xvfb display and a
// headless Debian chromium driven through chromedp. Nothing here is mocked: a test that needs a
// part that is not installed fails with a message that says how to install it (make deps).
package testenv
