// Package interconnect will hold carrier trunks: gateways of real carriers
// (MNOs) and virtual operators (MVNOs), their routes and health. The switch
// today routes only to registered subscribers; docs/architecture.md shows
// where trunk selection joins the routing decision.
package interconnect
