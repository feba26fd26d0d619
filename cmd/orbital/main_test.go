package main

import (
	"os"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

func TestMain(m *testing.M) {
	installChild() // the installer TestInstallKilledAtEachStep kills; returns when not asked
	os.Exit(testenv.Main(m))
}
