package policies

// Tables is the TOML shape of the grant tables: the body of a policy file (beside [module]) and
// a manifest's [permissions] table (registry.Manifest embeds it). It is the one place the
// tables and keys are spelled; kinds (kinds.go) says what each key means.
//
// The field order is the canonical order of a manifest's encoding, which a publisher's
// signature covers: reorder nothing, add new tables and keys at the end of their struct.
type Tables struct {
	FS      []FSTable         `toml:"fs,omitempty"`
	Env     map[string]string `toml:"env,omitempty"`
	Process struct {
		Args  []string `toml:"args,omitempty"`
		Spawn []string `toml:"spawn,omitempty"`
	} `toml:"process,omitempty"`
	Bus struct {
		Publish   []string `toml:"publish,omitempty"`
		Subscribe []string `toml:"subscribe,omitempty"`
		Request   []string `toml:"request,omitempty"`
		Direct    bool     `toml:"direct,omitempty"`
		Call      []string `toml:"call,omitempty"` // services it may call by name (globs)
	} `toml:"bus,omitempty"`
	Regions struct {
		Max   int64 `toml:"max,omitempty"`
		Bytes Text  `toml:"bytes,omitempty"` // size: "128MiB"
	} `toml:"regions,omitempty"`
	Devices struct {
		Use []string `toml:"use,omitempty"`
	} `toml:"devices,omitempty"`
	Net struct {
		Allow []string `toml:"allow,omitempty"` // host:port
	} `toml:"net,omitempty"`
	Limits struct {
		Memory   Text  `toml:"memory,omitempty"`   // size: "64MiB"
		Deadline Text  `toml:"deadline,omitempty"` // duration: "500ms"
		Fuel     int64 `toml:"fuel,omitempty"`
		CPU      Text  `toml:"cpu,omitempty"` // share of one core: "25%"
		// The GPU driver's limits per process (docs/design/gpu.md).
		GPUMemory     Text  `toml:"gpu_memory,omitempty"`     // size: "256MiB"
		GPUDispatches int64 `toml:"gpu_dispatches,omitempty"` // dispatches and draws per second
		GPUBudget     Text  `toml:"gpu_budget,omitempty"`     // duration one may take: "2s"
	} `toml:"limits,omitempty"`
	UI struct {
		Windows    bool   `toml:"windows,omitempty"`
		MaxSurface string `toml:"max_surface,omitempty"` // "1920x1080"
		Clipboard  bool   `toml:"clipboard,omitempty"`
	} `toml:"ui,omitempty"`
	Storage struct {
		KV Text `toml:"kv,omitempty"` // size: the quota of the module's key-value storage
	} `toml:"storage,omitempty"`
	HTTP struct {
		Routes  []string `toml:"routes,omitempty"`  // URL path prefixes: "/watchdog/"
		Body    Text     `toml:"body,omitempty"`    // size: the largest request body
		Rate    int64    `toml:"rate,omitempty"`    // requests per second per route
		Timeout Text     `toml:"timeout,omitempty"` // duration: how long a reply may take
	} `toml:"http,omitempty"`
}

// FSTable is one [[fs]] table: a host directory the module sees at a guest path.
type FSTable struct {
	Host  string `toml:"host"`
	Guest string `toml:"guest"`
	Mode  string `toml:"mode"` // "ro" or "rw"
}

// Text takes a TOML string or number ("64MiB" or 67108864) and keeps its text for validation.
type Text string

// UnmarshalText keeps the text.
func (t *Text) UnmarshalText(b []byte) error { *t = Text(b); return nil }

// MarshalText returns the text.
func (t Text) MarshalText() ([]byte, error) { return []byte(t), nil }

// knownKeys lists each table's keys for the "unknown key" message, in the order of Tables.
func knownKeys(table string) string {
	switch table {
	case "":
		return "module, fs, env, process, bus, regions, devices, net, limits, ui, storage, http"
	case "module":
		return "match"
	case "fs":
		return "host, guest, mode"
	}
	var keys []string
	for _, k := range kinds {
		for _, key := range k.keys() {
			if t, name, _ := cutKey(key); t == table {
				keys = append(keys, name)
			}
		}
	}
	return joinComma(keys)
}
