// Package api holds the admin HTTP API's contract: an OpenAPI 3.1
// description of every endpoint (docs/api.md), embedded so that the
// switch serves the very document its tests check it against.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1.0 document, as JSON.
//
//go:embed openapi.json
var OpenAPI []byte

// Path is where the switch serves OpenAPI.
const Path = "/api/openapi.json"
