package domain

// Audit events. The aggregate is "audit:anchor".

const TypeAuditAnchored = "audit.anchored"

// AnchorKey is the aggregate of the anchors.
const AnchorKey = "audit:anchor"

// AuditAnchored records that the journal's hash chain was verified up to
// Position, whose chain value is Chain (hex SHA-256). The same line is
// appended to <data_dir>/anchors.jsonl for export to an outside notary:
// a log rewritten after an anchor left the system no longer matches it
// (softswitch audit verify --anchors).
type AuditAnchored struct {
	Position uint64 `json:"position"`
	Chain    string `json:"chain"`
	// Verified is how many records this anchor's check covered (since the
	// previous anchor).
	Verified uint64 `json:"verified"`
}

func (AuditAnchored) EventType() string    { return TypeAuditAnchored }
func (AuditAnchored) SchemaVersion() int   { return 1 }
func (AuditAnchored) AggregateKey() string { return AnchorKey }

// Node events. The aggregate is "node:<id>".

const TypeNodeAlive = "node.alive"

// NodeKey is the aggregate of a node's own events.
func NodeKey(node string) string { return "node:" + node }

// NodeAlive is a node's heartbeat, recorded every few seconds: proof that
// the node, and the calls it held, were up at that instant. After a crash
// the node closes the calls it left open as of its last heartbeat, so
// they bill to when it died, not to their last event nor to the restart.
type NodeAlive struct {
	Node string `json:"node"`
}

func (NodeAlive) EventType() string      { return TypeNodeAlive }
func (NodeAlive) SchemaVersion() int     { return 1 }
func (e NodeAlive) AggregateKey() string { return NodeKey(e.Node) }
