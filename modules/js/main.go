//go:build wasip1

// Command js is Orbital's JavaScript engine: a WASM module that runs one script, handed over by
// the host (sdk.Script), with the SDK as a JavaScript API (package jsrt). The kernel spawns it
// under the script's name, so the script runs in the same sandbox, with the same policy, limits
// and kill as any module; `orbital run app.js` and a .js URL in the shell's bar start it.
// A syntax error or an uncaught exception ends the process as crashed with the script's own
// words as the reason (sdk.Fail); orbital.exit(n) exits with status n.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/orbital/orbital/modules/js/jsrt"
	"github.com/orbital/orbital/modules/sdk"
)

func main() {
	file, src, err := sdk.Script()
	if err != nil {
		fmt.Fprintln(os.Stderr, "js: this is Orbital's JavaScript engine; run a script with `orbital run app.js`:", err)
		os.Exit(2)
	}
	code, err := run(file, string(src))
	var f *jsrt.Failure
	switch {
	case errors.As(err, &f):
		sdk.Fail(f.Reason)
	case err != nil:
		sdk.Fail(file + ": " + err.Error())
	}
	os.Exit(code)
}

// run runs the script; a Go panic inside the engine (a bug in goja or jsrt, not in the script)
// becomes an error naming it, so the process still ends with a reason.
func run(file, src string) (code int, err error) {
	defer func() {
		if r := recover(); r != nil {
			code, err = 0, fmt.Errorf("the JavaScript engine failed: %v", r)
		}
	}()
	return jsrt.New(sdkHost{}, file).Run(src)
}
