// Package console is the terminal window Orbital gives a program that has none: a WASI command
// opened from the shell's bar writes to stdout and stderr, and reads stdin, and the console
// shows the one and edits the other.
//
// Terminal is the screen model: a VT100/xterm subset enough for common programs (UTF-8 text,
// colours in 16, 256 and 24 bits, attributes, cursor movement, erasing, insert and delete,
// scroll regions, the alternate screen) with a bounded scrollback. renderer draws it with Go
// Mono into an RGBA picture, redrawing only the rows that changed. Console ties them to a
// window and a program: Output takes what the program writes, Stdin gives it what the user
// typed, a line at a time (echoed, Backspace and Ctrl+U edit, Enter sends, Ctrl+D sends a
// partial line or ends the input), Ctrl+C asks the program to stop, a mouse drag selects and
// Ctrl+Shift+C copies, the wheel and Page Up/Down scroll back, and Exit shows how the program
// ended while the window stays until it is closed.
//
// # Lifecycle
//
// New loads the font and builds the terminal; it starts nothing. Start begins drawing into a
// window surface on the console's goroutine. Close ends the program's input, stops the
// goroutine and closes the window; twice is harmless.
//
// # Concurrency
//
// One goroutine (started by Start) owns the Terminal, the renderer and the line being typed.
// Others talk to it through channels: Output hands over chunks of at most 32 KiB and waits
// until the goroutine takes each (so a program that floods its console is slowed to the
// console's pace and nothing piles up), Event queues input without blocking (the shell's main
// thread calls it), Exit and Do. Stdin is an unbounded-wait, bounded-size queue (1 MiB): the
// goroutine never blocks on a program that does not read. Pictures are drawn at most 30 times
// a second, and only when something changed.
//
// # Libraries
//
// golang.org/x/image's opentype rasterizer with the Go Mono fonts, as the shell uses. The
// terminal emulator is the package's own: docs/design/console.md says why
// charmbracelet/x/vt was not used.
package console
