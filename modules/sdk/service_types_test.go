package sdk

import "testing"

func TestAnswer(t *testing.T) {
	if got := answer(0x1234, 5, false); got != 5<<32|0x1234 {
		t.Fatalf("answer: %#x", got)
	}
	if got := answer(0x10, 3, true); got != 1<<62|3<<32|0x10 || got < 0 {
		t.Fatalf("a failure: %#x", got)
	}
	if (&CallError{Name: "weather.today", Msg: "no city"}).Is(ErrFailed) != true {
		t.Fatal("a CallError is not ErrFailed")
	}
}
