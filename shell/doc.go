// Package shell is Orbital's desktop window: a GLFW window showing the compositor's scene, with
// a URL bar to open modules (history, completion), a frame around every module window (title,
// pid, close button, resize grip), a task strip, the permission card, and the routing of
// keyboard and mouse input to the focused module. Only the shell draws chrome, in the Chrome
// and Windows layers, so a module can never draw over it or fake a prompt. Package system is
// its Host: opening what the user typed, delivering input, killing, asking.
//
// # Lifecycle
//
// New checks the Config and starts nothing. Run creates the window (GL 3.3 core), the
// compositor's GL device, fonts and chrome, opens Config.Open, and runs the event loop until the
// window closes, the context ends or (with Config.Screenshot) the frame was written; everything
// Run created is released before it returns.
//
// # Threading
//
// GLFW and the GL context belong to the main OS thread: Run is called there, and every GLFW and
// GL call, input callback and piece of shell state lives on it, unlocked. Other goroutines
// reach it only through Shell.Do (queue a function and wake the loop), Shell.OnMain (Do and
// wait, bounded by MainTimeout: the clipboard uses it) and the compositor's Scene, which is
// thread-safe (module threads present into it; one goroutine watches Scene.Changed and wakes
// the loop). Opens (Host.Open) and closes (Host.Kill) run on goroutines of their own and report
// through atomics; the UI never waits on them. The loop composes at most 60 frames a second,
// only when something changed, redraws only the damage and copies only the changed rectangles
// to the window (present.go); otherwise it sleeps in glfw.WaitEventsTimeout.
//
// The editing model (TextField), history, window placement and hit testing are pure Go and
// tested without a display. docs/design/shell.md has the event flow, chrome, prompt and HiDPI
// details and the libraries chosen; docs/design/compositing.md the damage path.
package shell
