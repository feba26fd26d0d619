package sdk

import (
	"errors"
	"strings"
	"testing"
)

func TestGPUErrors(t *testing.T) {
	err := gpuStatus{Code: -65, Error: "gpu: compute abandoned after 1s"}.err("compute", nil)
	if !errors.Is(err, ErrBudget) || errors.Is(err, ErrLost) || err.Error() != "orbital: gpu compute: ERR_BUDGET: compute abandoned after 1s" {
		t.Fatalf("%v", err)
	}
	err = gpuStatus{Code: -64, Error: "gpu: compile error"}.err("compile", []GPUDiagnostic{{Stage: "compute", Line: 3, Column: 13, Severity: "error", Message: "`x' undeclared"}})
	if !errors.Is(err, ErrCompile) || !strings.Contains(err.Error(), "compute shader 3:13: error: `x' undeclared") {
		t.Fatalf("%v", err)
	}
	if err := (gpuStatus{Error: `device "gpu" not granted: no grant`}).err("info", nil); !errors.Is(err, ErrDenied) {
		t.Fatalf("host refusal: %v", err)
	}
	if err := (gpuStatus{}).err("x", nil); err != nil {
		t.Fatal(err)
	}
}

func TestRegionSetNumbersRegionsOnce(t *testing.T) {
	var rs regionSet
	a, b := Region{Handle: 7}, Region{Handle: 9}
	if rs.ref(a, accessRights(GPURead)) != 0 || rs.ref(b, accessRights(GPUWrite)) != 1 || rs.ref(a, accessRights(GPUWrite)) != 0 {
		t.Fatal("indices")
	}
	if len(rs.grants) != 2 || rs.grants[0].Rights != Read|Write || rs.grants[1].Rights != Write {
		t.Fatalf("grants %+v", rs.grants)
	}
}
