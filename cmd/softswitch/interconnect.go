package main

import (
	"fmt"

	"softswitch/domain"
	"softswitch/interconnect/number"
	"softswitch/interconnect/routing"
	"softswitch/internal/config"
	"softswitch/projections"
	"softswitch/switching"
)

// newInterconnect wires what the B2BUA needs to reach carriers' trunks:
// the projections, the home country's number plan, each subscriber's
// calling policy and each trunk's secrets, which stay in the config.
func newInterconnect(cfg *config.Config, ic *projections.Interconnect, load *projections.TrunkLoad) (*switching.Interconnect, error) {
	z, err := number.NewNormalizer(cfg.Numbering.CountryCode)
	if err != nil {
		return nil, fmt.Errorf("numbering.country_code: %w", err)
	}
	policies := make(map[string]domain.CallingPolicy, len(cfg.Subscribers))
	for i := range cfg.Subscribers {
		policies[cfg.Subscribers[i].User] = cfg.Subscribers[i].CallingPolicy()
	}
	segs := routing.DefaultSegments()
	for _, sg := range cfg.Numbering.Segments {
		segs = append(segs, routing.Segment{Prefix: sg.Prefix, Carrier: sg.Carrier, Kind: sg.Kind, Host: sg.Host})
	}
	x := &switching.Interconnect{
		IC: ic, Load: load, Normalizer: z, CountryCode: cfg.Numbering.CountryCode,
		Segments: segs, Ported: cfg.Numbering.Ported,
		// A subscriber added over the API has the default policy: national
		// calls only.
		Policy: func(user string) domain.CallingPolicy { return policies[user] },
		Secret: func(trunk string) (string, string) {
			t, _, ok := cfg.Trunk(trunk)
			switch {
			case !ok:
				return "", ""
			case t.Auth != nil:
				return t.Auth.Username, t.Auth.Password
			case t.Register != nil:
				return t.Register.Username, t.Register.Password
			}
			return "", ""
		},
	}
	// Compile once now, so a plan that cannot work (a segment naming a
	// carrier with another host, an unknown ported carrier) stops the
	// start with the field at fault instead of failing calls.
	if _, err := x.Table(); err != nil {
		return nil, fmt.Errorf("%w: routing plan: %v", config.ErrInvalid, err)
	}
	return x, nil
}
