// Package jsrt runs one JavaScript program inside Orbital's JavaScript engine module
// (modules/js): github.com/dop251/goja, a pure-Go ECMAScript 5.1+ engine (ES6 classes, arrow
// functions, let/const, promises, typed arrays), with Orbital's SDK as a JavaScript API and an
// event loop. docs/design/javascript.md says why it is built this way; modules/js/README.md is
// the API a script author reads.
//
// # Lifecycle
//
// New binds the globals (console, timers, requestAnimationFrame, queueMicrotask, fetch,
// TextEncoder/TextDecoder, performance, orbital) to a fresh goja runtime over a Host. Run
// parses the script (a syntax error is a *Failure naming file:line:column), runs its top
// level, then the event loop until nothing can happen any more: no timer, animation frame,
// window, subscription or message handler is left. orbital.exit(code) ends the loop at once; a
// quit request from the kernel (or sdk.ErrClosed) ends it after the 'quit' handlers ran.
// An exception nobody caught, in the top level or in any callback, and a promise rejection
// nobody handled, end the loop with a *Failure whose Reason is the JavaScript stack; the engine
// then ends the process as crashed with it (sdk.Fail).
//
// # The loop
//
// One turn: run the timers that are due, then, when a frame is due (every 1/60 s, only while
// some requestAnimationFrame callback is waiting or a window was drawn on), the animation
// frame callbacks and one present of every window drawn on since the last; then wait in
// Host.Recv until the next timer or frame, and dispatch what arrived: an input event to its
// window's handlers, a publish to the subscription it came through (sdk.Message.Sub), a request
// to its serve handler, a direct message to the onMessage handlers. Promise reactions run after
// every callback, before the next one (goja drains its job queue when a call from Go returns).
//
// # Concurrency
//
// None: the runtime, its goja.Runtime and the Host are used from one goroutine, the module's
// only thread. Host calls that wait (bus request, fetch) block the loop for their duration;
// their promises are settled when they return, so a script written with await reads as it
// would in a browser, but nothing else runs meanwhile.
package jsrt
