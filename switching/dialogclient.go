package switching

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

// dialogClient sends requests in one confirmed dialog, built from its
// recorded state (domain.Dialog, RFC 3261 §12.1) as §12.2.1.1 says: the
// remote target as Request-URI, the route set as Route, From with the
// switch's tag, To with the peer's, the Call-ID, and the next local CSeq.
//
// An answered call keeps one per leg instead of sipgo's dialog sessions,
// which hold the whole INVITE, its answer, both transactions and the ACK
// kept for retransmission for the life of the call; and crash recovery
// uses the same builder on the state it reads back from the log.
type dialogClient struct {
	cli     *sipgo.Client
	contact *sip.ContactHeader
	d       *domain.Dialog
	target  sip.Uri
	cseq    atomic.Uint32 // the last local CSeq used
}

func newDialogClient(cli *sipgo.Client, contact *sip.ContactHeader, d *domain.Dialog) (*dialogClient, error) {
	dc := &dialogClient{cli: cli, contact: contact, d: d}
	if err := sip.ParseUri(d.RemoteTarget, &dc.target); err != nil {
		return nil, fmt.Errorf("dialog %s: remote target %q: %w", d.CallID, d.RemoteTarget, err)
	}
	dc.cseq.Store(d.LocalCSeq)
	return dc, nil
}

// build adds the dialog's headers a request lacks. A request without a
// CSeq takes the next local number (an ACK keeps its INVITE's).
func (dc *dialogClient) build(req *sip.Request) error {
	d := dc.d
	if req.From() == nil {
		from := &sip.FromHeader{Params: sip.NewParams()}
		name, err := sip.ParseAddressValue(d.LocalURI, &from.Address, &from.Params)
		if err != nil {
			return fmt.Errorf("dialog %s: local uri %q: %w", d.CallID, d.LocalURI, err)
		}
		from.DisplayName = name
		from.Params.Add("tag", d.LocalTag)
		req.AppendHeader(from)
	}
	if req.To() == nil {
		to := &sip.ToHeader{Params: sip.NewParams()}
		name, err := sip.ParseAddressValue(d.RemoteURI, &to.Address, &to.Params)
		if err != nil {
			return fmt.Errorf("dialog %s: remote uri %q: %w", d.CallID, d.RemoteURI, err)
		}
		to.DisplayName = name
		to.Params.Add("tag", d.RemoteTag)
		req.AppendHeader(to)
	}
	if req.CallID() == nil {
		cid := sip.CallIDHeader(d.CallID)
		req.AppendHeader(&cid)
	}
	if req.CSeq() == nil {
		req.AppendHeader(&sip.CSeqHeader{SeqNo: dc.cseq.Add(1), MethodName: req.Method})
	}
	if req.MaxForwards() == nil {
		mf := sip.MaxForwardsHeader(70)
		req.AppendHeader(&mf)
	}
	if d.Destination != "" && len(d.RouteSet) == 0 {
		// A NAT'd endpoint: where its messages come from.
		req.SetDestination(d.Destination)
	}
	if req.Route() == nil {
		// Loose routing (RFC 3261 §16.12.1.1): the request goes to the
		// first route, the Request-URI stays the remote target.
		for i, rt := range d.RouteSet {
			req.AppendHeader(sip.NewHeader("Route", rt))
			if i == 0 {
				var u sip.Uri
				if _, err := sip.ParseAddressValue(rt, &u, nil); err == nil {
					req.SetDestination(u.HostPort())
				}
			}
		}
	}
	if req.Contact() == nil && dc.contact != nil {
		req.AppendHeader(sip.HeaderClone(dc.contact))
	}
	if d.Transport != "" {
		req.SetTransport(d.Transport)
	}
	return nil
}

// request is a new request of method to the remote target.
func (dc *dialogClient) request(method sip.RequestMethod) (*sip.Request, error) {
	req := sip.NewRequest(method, dc.target)
	return req, dc.build(req)
}

// Do sends a request in the dialog and waits for its final answer.
func (dc *dialogClient) Do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if err := dc.build(req); err != nil {
		return nil, err
	}
	return dc.cli.Do(ctx, req)
}

// WriteRequest sends a request without a transaction (an ACK).
func (dc *dialogClient) WriteRequest(req *sip.Request) error {
	if err := dc.build(req); err != nil {
		return err
	}
	return dc.cli.WriteRequest(req)
}
