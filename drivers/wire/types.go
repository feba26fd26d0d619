package wire

import "strconv"

// Type says what a frame's body holds. "d→h" frames come from the driver, "h→d" from the host.
type Type uint16

const (
	THello       Type = 1  // d→h Hello: first frame, within the handshake timeout
	TWelcome     Type = 2  // h→d Welcome: handshake accepted
	TReject      Type = 3  // h→d Reject: handshake refused; the host then stops the driver
	TPing        Type = 4  // h→d Ping: answer with Pong within the heartbeat timeout
	TPong        Type = 5  // d→h Pong
	TStop        Type = 6  // h→d Stop: exit now; the host escalates to signals after a grace period
	TLog         Type = 7  // d→h Log: one line for the kernel log
	TSubscribe   Type = 10 // d→h Subscribe; answered by Result (Value is the subscription id)
	TUnsubscribe Type = 11 // d→h Unsubscribe; answered by Result
	TPublish     Type = 12 // d→h Publish; errors come back as Result with Seq
	TReply       Type = 13 // d→h Reply to a request the driver received
	TRequest     Type = 14 // d→h Request; answered by a Deliver of kind reply (Corr = Seq) or Result
	TSend        Type = 15 // d→h Send a direct message to a pid
	TRegionAdd   Type = 16 // d→h RegionAdd: share a memory region (1 descriptor)
	TRegionDrop  Type = 17 // d→h RegionDrop: the driver no longer shares that region
	TSubscribers Type = 18 // d→h Subscribers: how many subscriptions match a topic (Subscribe body, Pattern = topic); Result.Value
	TAudit       Type = 19 // d→h Audit (v2): the driver refused a process something; the host audits it
	TDeliver     Type = 20 // h→d Deliver: a bus message for the driver (descriptors for its regions)
	TResult      Type = 21 // h→d Result of an operation the driver asked for
	TPeer        Type = 22 // h→d Peer (v2): who a sender is and its limits, before its first Deliver and when they change
	TPeerGone    Type = 23 // h→d PeerGone (v2, Seq body, ID = pid): a process that sent to the driver left the bus
	TUsage       Type = 24 // d→h Usage (v2): the driver's per-process usage table, for the admin panel

	// TUser and above are free for a driver's own use between its processes (a driver and
	// the helpers it spawns). The host never sends them, and stops a driver that sends it one.
	TUser Type = 1024
)

var typeNames = map[Type]string{
	THello: "hello", TWelcome: "welcome", TReject: "reject", TPing: "ping", TPong: "pong",
	TStop: "stop", TLog: "log", TSubscribe: "subscribe", TUnsubscribe: "unsubscribe",
	TPublish: "publish", TReply: "reply", TRequest: "request", TSend: "send",
	TRegionAdd: "region-add", TRegionDrop: "region-drop", TSubscribers: "subscribers", TDeliver: "deliver", TResult: "result",
	TAudit: "audit", TPeer: "peer", TPeerGone: "peer-gone", TUsage: "usage",
}

func (t Type) known() bool { _, ok := typeNames[t]; return ok || t >= TUser }

func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	if t >= TUser {
		return "user(" + strconv.Itoa(int(t-TUser)) + ")"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Handshake constants, after go-plugin: the host puts the cookie in the child's environment and
// the driver echoes it in Hello, which tells a driver it was started by a kernel (and not by hand)
// and tells the kernel it is talking to an Orbital driver. The driver picks the highest protocol
// version both sides speak from the list in EnvProtocols.
const (
	EnvCookie    = "ORBITAL_DRIVER_COOKIE"
	CookieValue  = "9c1e7d4a0f2b-orbital-driver-b6e35f18a7d0"
	EnvProtocols = "ORBITAL_DRIVER_PROTOCOLS" // comma-separated versions the host accepts
	EnvFD        = "ORBITAL_DRIVER_FD"        // the socket's descriptor number in the driver (3)
	// Version is the newest protocol version this package speaks. Version 2 adds Peer,
	// PeerGone, Audit and Usage; the host still accepts version-1 drivers and sends them none
	// of those frames.
	Version = 2
	// MinVersion is the oldest version the host accepts.
	MinVersion = 1
	// MaxRegions bounds the region references in one message.
	MaxRegions = MaxFDs
)

// Hello is the driver's first frame.
type Hello struct {
	Cookie   string
	Protocol uint32
	Name     string // the driver's name as it knows itself
	Version  string // the driver's version
}

func (m *Hello) Encode() []byte {
	var e Enc
	e.Str(m.Cookie)
	e.U32(m.Protocol)
	e.Str(m.Name)
	e.Str(m.Version)
	return e.B
}

func (m *Hello) Decode(b []byte) error {
	d := Dec{B: b}
	m.Cookie, m.Protocol, m.Name, m.Version = d.Str(), d.U32(), d.Str(), d.Str()
	return d.Finish()
}

// Welcome accepts a driver: its pid on the bus and how often it will be pinged.
type Welcome struct {
	Protocol    uint32
	PID         uint32
	HeartbeatMS uint32 // the driver must answer a Ping within 3 of these
	Args        []string
}

func (m *Welcome) Encode() []byte {
	var e Enc
	e.U32(m.Protocol)
	e.U32(m.PID)
	e.U32(m.HeartbeatMS)
	e.U32(uint32(len(m.Args)))
	for _, a := range m.Args {
		e.Str(a)
	}
	return e.B
}

func (m *Welcome) Decode(b []byte) error {
	d := Dec{B: b}
	m.Protocol, m.PID, m.HeartbeatMS = d.U32(), d.U32(), d.U32()
	n := d.Count(256, "arguments")
	m.Args = nil
	for i := 0; i < n; i++ {
		m.Args = append(m.Args, d.Str())
	}
	return d.Finish()
}

// Text is the body of Reject, Stop and Log (Level is 0 for Reject and Stop).
type Text struct {
	Level uint32
	Text  string
}

func (m *Text) Encode() []byte {
	var e Enc
	e.U32(m.Level)
	e.Str(m.Text)
	return e.B
}

func (m *Text) Decode(b []byte) error {
	d := Dec{B: b}
	m.Level, m.Text = d.U32(), d.Str()
	return d.Finish()
}

// Seq is the body of Ping, Pong, Unsubscribe (Seq, ID) and RegionDrop (ID).
type Seq struct {
	Seq uint64
	ID  uint32
}

func (m *Seq) Encode() []byte {
	var e Enc
	e.U64(m.Seq)
	e.U32(m.ID)
	return e.B
}

func (m *Seq) Decode(b []byte) error {
	d := Dec{B: b}
	m.Seq, m.ID = d.U64(), d.U32()
	return d.Finish()
}

// Subscribe asks for messages on topics matching Pattern; Mode 0 reliable, 1 lossy.
type Subscribe struct {
	Seq     uint64
	Mode    uint32
	Pattern string
}

func (m *Subscribe) Encode() []byte {
	var e Enc
	e.U64(m.Seq)
	e.U32(m.Mode)
	e.Str(m.Pattern)
	return e.B
}

func (m *Subscribe) Decode(b []byte) error {
	d := Dec{B: b}
	m.Seq, m.Mode, m.Pattern = d.U64(), d.U32(), d.Str()
	return d.Finish()
}

// RegionRef names a region in a message: in frames from the driver, ID is the driver's own
// region id (RegionAdd); in Deliver, ID is the index of the frame's descriptor that maps it.
type RegionRef struct {
	ID     uint32
	Rights uint32 // 1 read, 2 write (bus.Rights bits)
	Size   uint64 // set by the host in Deliver; ignored from the driver
}

// Msg is the body of Publish, Reply, Request, Send and Deliver.
type Msg struct {
	Seq     uint64 // the driver's sequence number (Publish, Request, Send); Corr for Reply
	Kind    uint32 // bus kind (Send, Deliver)
	From    uint32 // sender pid (Deliver)
	To      uint32 // receiver pid (Send)
	Corr    uint64 // correlation id (Deliver of a request or reply)
	Timeout int64  // ns (Request, Send)
	Sent    int64  // monotonic ns (Deliver)
	Topic   string
	Payload []byte
	Regions []RegionRef
}

func (m *Msg) Encode() []byte {
	var e Enc
	e.B = make([]byte, 0, 64+len(m.Topic)+len(m.Payload)+16*len(m.Regions))
	e.U64(m.Seq)
	e.U32(m.Kind)
	e.U32(m.From)
	e.U32(m.To)
	e.U64(m.Corr)
	e.I64(m.Timeout)
	e.I64(m.Sent)
	e.Str(m.Topic)
	e.Bytes(m.Payload)
	e.U32(uint32(len(m.Regions)))
	for _, r := range m.Regions {
		e.U32(r.ID)
		e.U32(r.Rights)
		e.U64(r.Size)
	}
	return e.B
}

func (m *Msg) Decode(b []byte) error {
	d := Dec{B: b}
	m.Seq, m.Kind, m.From, m.To = d.U64(), d.U32(), d.U32(), d.U32()
	m.Corr, m.Timeout, m.Sent = d.U64(), d.I64(), d.I64()
	m.Topic = d.Str()
	m.Payload = d.Bytes()
	n := d.Count(MaxRegions, "regions")
	m.Regions = nil
	for i := 0; i < n; i++ {
		m.Regions = append(m.Regions, RegionRef{ID: d.U32(), Rights: d.U32(), Size: d.U64()})
	}
	return d.Finish()
}

// RegionAdd shares a memory region: the frame carries its descriptor. ID is chosen by the driver
// (non-zero, unique among its live regions); Size is the region's length in bytes.
type RegionAdd struct {
	ID   uint32
	Size uint64
}

func (m *RegionAdd) Encode() []byte {
	var e Enc
	e.U32(m.ID)
	e.U64(m.Size)
	return e.B
}

func (m *RegionAdd) Decode(b []byte) error {
	d := Dec{B: b}
	m.ID, m.Size = d.U32(), d.U64()
	return d.Finish()
}

// Result answers an operation: Code 0 or a negative ABI error code (docs/abi.md), Value the
// operation's result (a subscription id), Err a message for the log.
type Result struct {
	Seq   uint64
	Code  int32
	Value uint32
	Err   string
}

func (m *Result) Encode() []byte {
	var e Enc
	e.U64(m.Seq)
	e.I32(m.Code)
	e.U32(m.Value)
	e.Str(m.Err)
	return e.B
}

func (m *Result) Decode(b []byte) error {
	d := Dec{B: b}
	m.Seq, m.Code, m.Value, m.Err = d.U64(), d.I32(), d.U32(), d.Str()
	return d.Finish()
}

// KV is one named number: a limit in Peer, a counter in Usage.
type KV struct {
	Key string
	N   int64
}

// MaxKVs bounds the numbers in one Peer or Usage row.
const MaxKVs = 64

func encKVs(e *Enc, kvs []KV) {
	e.U32(uint32(len(kvs)))
	for _, kv := range kvs {
		e.Str(kv.Key)
		e.I64(kv.N)
	}
}

func decKVs(d *Dec) []KV {
	n := d.Count(MaxKVs, "numbers")
	var out []KV
	for i := 0; i < n; i++ {
		out = append(out, KV{Key: d.Str(), N: d.I64()})
	}
	return out
}

// Peer tells a driver who sends it messages: the sender's module name and the limits its
// policy sets ("limits.<key>" ceilings, 0 or absent when unset). The host sends it before the
// first message a pid delivers, and again when those change (a policy was edited).
type Peer struct {
	PID    uint32
	Name   string
	Limits []KV
}

func (m *Peer) Encode() []byte {
	var e Enc
	e.U32(m.PID)
	e.Str(m.Name)
	encKVs(&e, m.Limits)
	return e.B
}

func (m *Peer) Decode(b []byte) error {
	d := Dec{B: b}
	m.PID, m.Name = d.U32(), d.Str()
	m.Limits = decKVs(&d)
	return d.Finish()
}

// Audit reports a refusal the driver made (a limit, not a missing grant: the host checks
// grants itself): the process, the operation, its object and why. The host writes it to the
// audit log like a refusal at any other door.
type Audit struct {
	PID    uint32
	Op     string
	Object string
	Reason string
}

func (m *Audit) Encode() []byte {
	var e Enc
	e.U32(m.PID)
	e.Str(m.Op)
	e.Str(m.Object)
	e.Str(m.Reason)
	return e.B
}

func (m *Audit) Decode(b []byte) error {
	d := Dec{B: b}
	m.PID, m.Op, m.Object, m.Reason = d.U32(), d.Str(), d.Str(), d.Str()
	return d.Finish()
}

// UsageRow is what one process uses of a driver (bytes of memory, operations, refusals).
type UsageRow struct {
	PID    uint32
	Values []KV
}

// Usage is a driver's whole per-process usage table; each one replaces the previous.
type Usage struct {
	Rows []UsageRow
}

// MaxUsageRows bounds the rows of one Usage frame.
const MaxUsageRows = 1024

func (m *Usage) Encode() []byte {
	var e Enc
	e.U32(uint32(len(m.Rows)))
	for _, r := range m.Rows {
		e.U32(r.PID)
		encKVs(&e, r.Values)
	}
	return e.B
}

func (m *Usage) Decode(b []byte) error {
	d := Dec{B: b}
	n := d.Count(MaxUsageRows, "usage rows")
	m.Rows = nil
	for i := 0; i < n; i++ {
		r := UsageRow{PID: d.U32()}
		r.Values = decKVs(&d)
		m.Rows = append(m.Rows, r)
	}
	return d.Finish()
}
