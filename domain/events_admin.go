package domain

// Admin events: who changed what through the admin API. The aggregate is
// "admin:<node>", the node that served the request.

const TypeAdminChanged = "admin.changed"

// AdminKey is the aggregate of a node's admin changes.
func AdminKey(node string) string { return "admin:" + node }

// AdminChanged records one admin API write that succeeded: the token's
// name (never the token; empty when the API has none configured), the
// request, its answer, and the events the node recorded while serving it
// ("type aggregate", the changes it made; concurrent writes may share
// some). The web console's audit log reads these (docs/console.md).
type AdminChanged struct {
	Node    string   `json:"node"`
	By      string   `json:"by"`
	Method  string   `json:"method"`
	Path    string   `json:"path"`
	Status  int      `json:"status"`
	Remote  string   `json:"remote,omitempty"`
	Changes []string `json:"changes,omitempty"`
}

func (AdminChanged) EventType() string      { return TypeAdminChanged }
func (AdminChanged) SchemaVersion() int     { return 1 }
func (e AdminChanged) AggregateKey() string { return AdminKey(e.Node) }
