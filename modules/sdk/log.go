//go:build wasip1

package sdk

import "fmt"

// Level is a log level as the host's log function takes it.
type Level int32

// Log levels.
const (
	Debug Level = 0
	Info  Level = 1
	Warn  Level = 2
	Error Level = 3
)

// Log writes one line to the kernel log at the given level. The host cuts lines longer than
// 4 KiB. Logging never fails in a way a module can act on, so the result is dropped.
func Log(level Level, msg string) {
	hostLog(int32(level), msg)
}

// Logf formats like fmt.Sprintf and logs the result.
func Logf(level Level, format string, args ...any) {
	hostLog(int32(level), fmt.Sprintf(format, args...))
}

// Debugf, Infof, Warnf and Errorf are Logf at a fixed level.
func Debugf(format string, args ...any) { Logf(Debug, format, args...) }
func Infof(format string, args ...any)  { Logf(Info, format, args...) }
func Warnf(format string, args ...any)  { Logf(Warn, format, args...) }
func Errorf(format string, args ...any) { Logf(Error, format, args...) }
