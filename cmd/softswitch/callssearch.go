package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"softswitch/billing/cdr"
	"softswitch/domain"
)

// cmdCallsSearch finds calls for an auditor: by caller or callee number,
// time range, trunk, disposition, or a SIP Call-ID of any of its legs
// (an attribute: endpoints may reuse one for many calls), from the CDR store (ClickHouse when
// configured, else the running switch or the embedded store). Each line
// has the call id `softswitch replay` takes.
func cmdCallsSearch(ctx context.Context, args []string, stdout io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("calls search", &cf)
	caller := fs.String("caller", "", "caller number or user")
	callee := fs.String("callee", "", "callee number or user")
	trunk := fs.String("trunk", "", "trunk the call went out on")
	sipCallID := fs.String("sip-call-id", "", "a SIP Call-ID of any leg (the caller's, or one the switch sent)")
	disp := fs.String("disposition", "", "answered, busy, no_answer, cancelled or failed")
	fromS := fs.String("from", "", "calls started at or after this RFC 3339 time")
	toS := fs.String("to", "", "calls started before this RFC 3339 time")
	limit := fs.Int("limit", 100, "most calls to print, newest last")
	asJSON := fs.Bool("json", false, "one JSON CDR per line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	f := cdr.Filter{Caller: *caller, Callee: *callee, Disposition: *disp}
	for _, t := range []struct {
		flag string
		v    string
		dst  *time.Time
	}{{"--from", *fromS, &f.Since}, {"--to", *toS, &f.Until}} {
		if t.v == "" {
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339, t.v); err != nil {
			return usageError(t.flag + ": " + err.Error())
		}
	}
	list, err := liveCDRs(ctx, cfg, f)
	if err != nil {
		return err
	}
	var found []domain.CDR
	for _, c := range list {
		if *trunk != "" && !usedTrunk(c, *trunk) {
			continue
		}
		if *sipCallID != "" && !hasSIPCallID(c, *sipCallID) {
			continue
		}
		found = append(found, c)
	}
	if *limit > 0 && len(found) > *limit {
		found = found[len(found)-*limit:]
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, c := range found {
			if err := enc.Encode(c); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tCALLER\tCALLEE\tDISPOSITION\tSIP\tTRUNK\tBILLABLE_S\tCALL_ID\tSIP_CALL_ID")
	for _, c := range found {
		start, _ := c.Start.MarshalJSON()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", strings.Trim(string(start), `"`), c.Caller, c.Callee, c.Disposition, c.SIPCode, c.Trunk, c.BillableS, c.CallID, c.SIPCallID)
	}
	return tw.Flush()
}

// usedTrunk tells whether any attempt of the call went out on trunk.
func usedTrunk(c domain.CDR, trunk string) bool {
	if c.Trunk == trunk {
		return true
	}
	for _, l := range c.Legs {
		if l.Trunk == trunk {
			return true
		}
	}
	return false
}

// hasSIPCallID tells whether any leg of the call used the SIP Call-ID.
func hasSIPCallID(c domain.CDR, id string) bool {
	if c.SIPCallID == id {
		return true
	}
	for _, l := range c.Legs {
		if l.SIPCallID == id {
			return true
		}
	}
	return false
}
