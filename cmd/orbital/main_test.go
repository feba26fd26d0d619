package main

import (
	"os"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.ShareCompiledModules()
	os.Exit(testenv.Main(m))
}
