// Package shell is Orbital's desktop window: a GLFW window showing the compositor's scene,
// with a URL bar to open modules, a frame around every module window (title, pid, close
// button, resize grip), a task strip, and the routing of keyboard and mouse input to the
// focused module.
//
// # Lifecycle
//
// New checks the Config and starts nothing. Run creates the window (GL 3.3 core context), the
// compositor's GL device, the fonts and the chrome surfaces, opens the Config.Open entries,
// and runs the event loop until the window is closed, the context ends, or (with
// Config.Screenshot) the requested frame was written to a PNG. Everything Run created is
// released before it returns. cmd/orbital's `shell` verb wires it to the kernel (Host).
//
// # Threading
//
// GLFW and the GL context belong to the process's main OS thread: the command locks it in
// init (runtime.LockOSThread) and calls Run there. Every GLFW and GL call, every input
// callback, all of the shell's state (URL bar, window list, drag state, chrome pictures) live
// on that thread, so none of it is locked. Other goroutines talk to it in two ways only:
//
//   - Shell.Do(fn) queues fn and wakes the loop with glfw.PostEmptyEvent; the loop runs the
//     queue at its next turn (ShowError uses it); Shell.OnMain(ctx, fn) is Do and wait, bounded
//     by ctx, MainTimeout and the shell's end. ReadClipboard and WriteClipboard use it to give
//     modules the desktop clipboard (GLFW's, the X11 CLIPBOARD selection), which GLFW allows
//     on the main thread only. Caveat: GLFW waits for the selection owner's answer without a
//     timeout, so an X client that owns the clipboard and never answers stalls the loop (the
//     module's call still ends after MainTimeout);
//   - the compositor's Scene is itself thread-safe: module threads Present into their
//     surfaces and the Scene's Changed channel is watched by one goroutine that marks the
//     frame dirty and wakes the loop.
//
// Opening what the user typed (a download can take long) happens on a goroutine per open
// (Host.Open), which reports progress through atomics the loop reads; the UI never waits on
// it. Several opens may be in flight; the bar shows the newest ("Downloading 1.2 MB of
// 2.6 MB", then "Starting clock"). Closing a window calls Host.Kill on a goroutine too, since a graceful stop waits for the
// module. The loop composes at most 60 frames a second, only when the scene changed, and
// otherwise sleeps in glfw.WaitEventsTimeout until an event, a wake-up or the minute the task
// strip's clock turns. The compositor redraws only what changed; a presenter (present.go)
// puts it on screen: with GLX_MESA_copy_sub_buffer (every Mesa driver, llvmpipe included) the
// back buffer is never swapped and only the changed rectangles are copied to the window;
// otherwise buffers are swapped and the compositor is told the back buffer's age
// (GLX_EXT_buffer_age) or copies the whole frame into it. An expose shows every pixel again.
//
// # Event flow
//
// GLFW callbacks (on the main thread) feed the shell's router: a press in the bar edits the
// TextField (click, shift-click, drag, double-click word, triple-click all); in the task
// strip it raises a window; on a window frame it raises and focuses that window and, by part,
// starts a move (title bar), a resize (grip) or a close (button, on release). A press on a
// window's content raises it and is also delivered to the module (click-through), and the
// window captures the pointer until release. Keys go to the URL bar when it has focus
// (Ctrl+L or F6 gives it focus, Escape gives focus back to the window), otherwise to the
// focused window. Module input leaves through Host.PostEvent as Event values in surface pixel
// coordinates (scaled when the user resized a window the module has not followed yet);
// package system turns them into kind-16 messages (docs/abi.md "Input events") with the
// module's own surface id. Focus and blur events tell a module when it gains or loses the
// keyboard; a resize drag (or a double click on the title bar, which maximizes and restores)
// sends resize events (at most every 50 ms, and at release). A module that calls
// surface_resize fills its frame 1:1; one that does not is shown scaled to fit with its
// aspect kept (letterboxed), never stretched, and pointer coordinates are mapped back. A
// surface shown as pixel blocks (a cart: 160x160 at 3x, compositor.Surface.SetScale) is
// framed at its scaled size and, in a window the user resized, centred at that size while it
// fits, so its blocks stay sharp until its module picks the scale that fits.
//
// # Chrome
//
// Only the shell draws chrome, into image.RGBA pictures given to the compositor as surfaces of
// their own: the wallpaper in the Background layer; the bar, the error line and the task strip
// in the Chrome layer (above every module, so a module can never draw over them); and one
// frame per module window in the Windows layer, kept directly below its module's surface so
// overlapping windows stack correctly. A picture is redrawn only when what it shows changed
// (a state key per surface), so an idle desktop costs nothing and the GL device re-uploads
// only those textures. On an empty desktop the shell offers the modules it can open
// (Config.Suggestions) as buttons. While the user types in the bar, a Host that implements
// Completer lists what the text could open under it (complete.go: queried 80 ms after the
// last key, off the main thread, a late answer dropped; Down/Up select, Enter opens, Tab
// fills the bar, Escape hides, a click opens a row). Errors from opening (not found, HTTP 404, an HTML page, too large, a
// trap on start) appear on the red line under the bar as one line; the shell keeps running.
// The same line, in neutral colours, carries notices (ShowNotice: where a policy file was
// saved).
//
// # Permission prompt
//
// Shell.Prompt (called from Host.Open's goroutine, which waits for the answer) shows a card
// under the bar, drawn by the shell in the Chrome layer so a module can never draw or fake it:
// "NAME wants to:", one plain-words line per permission, and Deny / Allow once / Always allow.
// A click (press and release on the same button) or a key answers it (Enter allows once,
// Escape denies); the rest of the desktop stays usable. Prompts asked together are shown one
// after the other; a cancelled open takes its card down. Layout and hit-testing are pure
// (layoutPrompt, promptLayout.hit); Ask gives the answer in policy's terms, and package system
// decides what is asked and what an answer does.
//
// # Libraries
//
// github.com/go-gl/glfw/v3.3 for the window, input and clipboard: the portable, well-kept
// binding of GLFW. golang.org/x/image/font/opentype with the Go fonts
// (golang.org/x/image/font/gofont) for text: a real TrueType rasterizer with hinting and
// kerning, and fonts embedded in the binary, so the shell looks the same on every machine.
// golang.org/x/image/vector for anti-aliased circles and lines; rounded corners and shadows
// are computed per pixel only where they are not rectangles, so a 640x480 window frame
// redraws in a few milliseconds (BenchmarkChrome). On a HiDPI screen the desktop is laid
// out in desktop pixels and the GL device scales it to the framebuffer (GLFW's framebuffer to
// window ratio, or X11's content scale), so chrome and modules keep their size; text is then
// scaled too rather than rasterized at the finer resolution.
//
// The editing model (TextField) and the history (History) are pure Go and table-tested
// without a display; window placement and hit testing (Desktop, frameGeom) are
// tested against a real compositor Scene.
package shell
