package policies

import "strconv"

// Op is an operation the namespace decides on. Every door of the kernel asks with one.
type Op uint8

const (
	OpPublish   Op = iota + 1 // object: the topic
	OpSubscribe               // object: the pattern
	OpRequest                 // object: the topic
	OpSend                    // object: "pid:N" (a direct message)
	OpRegion                  // object: "create:<size>"
	OpDevice                  // object: the driver name
	OpNet                     // object: host:port
	OpSurface                 // object: "WxH"
	OpSpawn                   // object: the module name
	OpFS                      // object: a guest path (preopens are fixed at start)
	OpClipboard               // object: "read" or "write"
)

var opNames = [...]string{"", "publish", "subscribe", "request", "send", "region", "device", "net", "surface", "spawn", "fs", "clipboard"}

func (o Op) String() string {
	if int(o) < len(opNames) && o != 0 {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// ParseOp is the inverse of Op.String.
func ParseOp(s string) (Op, bool) {
	for i, n := range opNames {
		if i > 0 && n == s {
			return Op(i), true
		}
	}
	return 0, false
}
