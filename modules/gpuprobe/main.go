//go:build wasip1

// Command gpuprobe is a test probe of the GPU driver (no manifest: the end-to-end tests give it
// a policy). Its first argument chooses what it does:
//
//	runaway [WAIT] after WAIT (a duration, default 0), run a compute shader that never ends
//	               (once briefly, so its machine code is compiled, then for good), print when it
//	               started and when the driver abandoned it, and exit 0 when that was ERR_BUDGET
//	compile-error  compile a shader with an error on line 3 and print the diagnostics; exit 0
//	               when the driver named line 3
//	info           print what gpu.info says
package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/orbital/orbital/modules/sdk"
)

// forever loops while its uniform says so; llvmpipe ends each invocation's loops after 65535
// iterations, so the runaway is that many iterations in each of 2^32 invocations.
const forever = `layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer B { uint v[]; };
uniform uint go;
void main() { while (go == 1u) { atomicAdd(v[0], 1u); } }`

func main() {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	var err error
	switch mode {
	case "runaway":
		var wait time.Duration
		if len(os.Args) > 2 {
			wait, err = time.ParseDuration(os.Args[2])
		}
		if err == nil {
			err = runaway(wait)
		}
	case "compile-error":
		err = compileError()
	case "info":
		var in sdk.GPUInfo
		if in, err = sdk.ReadGPUInfo(); err == nil {
			fmt.Printf("gpuprobe: %s via %s, robust %v, limits %+v\n", in.Renderer, in.Backend, in.Robust, in.Limits)
		}
	default:
		err = fmt.Errorf("usage: gpuprobe runaway|compile-error|info")
	}
	if err != nil {
		fmt.Println("gpuprobe: FAILED:", err)
		os.Exit(1)
	}
}

func runaway(wait time.Duration) error {
	sh, err := sdk.CompileCompute(forever)
	if err != nil {
		return err
	}
	buf, err := sdk.NewGPUBuffer(64, sdk.Region{})
	if err != nil {
		return err
	}
	c := sdk.Compute{Shader: sh, Groups: [3]int{1, 1, 1}, Buffers: []sdk.Bind{{Binding: 0, Buffer: buf}}, Uniforms: map[string][]float64{"go": {0}}}
	if _, err := c.Run(); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	time.Sleep(wait)
	c.Groups, c.Uniforms["go"] = [3]int{65535, 65535, 1}, []float64{1}
	start := sdk.Now()
	fmt.Printf("gpuprobe: runaway from %d ms\n", start/time.Millisecond)
	_, err = c.Run()
	end := sdk.Now()
	fmt.Printf("gpuprobe: runaway ended at %d ms after %d ms: %v\n", end/time.Millisecond, (end-start)/time.Millisecond, err)
	if !errors.Is(err, sdk.ErrBudget) {
		return fmt.Errorf("the runaway dispatch ended with %v, want ERR_BUDGET", err)
	}
	return nil
}

func compileError() error {
	_, err := sdk.CompileCompute("layout(local_size_x = 1) in;\nvoid main() {\n  float x = missing;\n}\n")
	var ge *sdk.GPUError
	if !errors.As(err, &ge) || !errors.Is(err, sdk.ErrCompile) || len(ge.Diagnostics) == 0 {
		return fmt.Errorf("compile of a broken shader: %v", err)
	}
	fmt.Println("gpuprobe:", err)
	if d := ge.Diagnostics[0]; d.Line != 3 || d.Column < 1 {
		return fmt.Errorf("diagnostic %+v, want line 3", d)
	}
	return nil
}
