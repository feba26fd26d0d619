package sdk

// Mode is a subscription's delivery mode.
type Mode int32

const (
	// Reliable: nothing is lost and order is kept per sender; a publisher waits (up to the
	// bus's send timeout) while this subscriber's inbox is full.
	Reliable Mode = 0
	// Lossy: publishers never wait; when the inbox is full the oldest queued message of the
	// subscription is dropped (the kernel counts drops). Right for frames, ticks, positions.
	Lossy Mode = 1
)

// Rights are what a region grant gives the receiver, plus Transfer to give the handle away.
type Rights uint32

const (
	Read     Rights = 1
	Write    Rights = 2
	Transfer Rights = 4 // the sender loses its handle once the message is delivered
)

// Grant is a region handle attached to a message with the rights the receiver gets. Its layout
// is the ABI's (handle u32, flags u32) pair.
type Grant struct {
	Handle uint32
	Rights Rights
}

// Region is a handle on a block of host memory owned by the bus (see NewRegion). The zero
// Region is no region.
type Region struct{ Handle uint32 }

// Share grants the region to a message's receiver with rights (Read, Write or both); the sender
// keeps its handle.
func (r Region) Share(rights Rights) Grant {
	return Grant{Handle: r.Handle, Rights: rights &^ Transfer}
}

// Give grants the region with rights and transfers it: the sender's handle is gone once the
// message is delivered.
func (r Region) Give(rights Rights) Grant { return Grant{Handle: r.Handle, Rights: rights | Transfer} }

// RegionList returns the message's region handles as Regions.
func (m Message) RegionList() []Region {
	out := make([]Region, len(m.Regions))
	for i, h := range m.Regions {
		out[i] = Region{Handle: h}
	}
	return out
}
