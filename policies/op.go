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
	OpStorage                 // object: "kv"
	OpCall                    // object: the service's name
)

var opNames = [...]string{"", "publish", "subscribe", "request", "send", "region", "device", "net", "surface", "spawn", "fs", "clipboard", "storage", "call"}

func (o Op) String() string {
	if int(o) < len(opNames) && o != 0 {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// phrase is the operation as a refusal says it: "fetch may not connect to "example.org:443"".
func (o Op) phrase() string {
	switch o {
	case OpSubscribe:
		return "subscribe to"
	case OpRequest:
		return "send requests on"
	case OpSend:
		return "send to"
	case OpRegion:
		return "make the region"
	case OpDevice:
		return "use the device"
	case OpNet:
		return "connect to"
	case OpSurface:
		return "open a surface of"
	case OpFS:
		return "open"
	case OpClipboard:
		return "use the clipboard to"
	case OpStorage:
		return "use the storage"
	case OpCall:
		return "call the service"
	}
	return o.String() // publish, spawn
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
