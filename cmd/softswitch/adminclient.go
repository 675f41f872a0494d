package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"

	"softswitch/internal/config"
)

// adminAPI is how the command-line verbs (cdr list, calls search, settle,
// reconcile, replay, audit rebuild/state/export, rates import) reach the
// running switch's admin API: its address and the tokens of the same
// config, so they keep working beside a switch that asks for them.
type adminAPI struct {
	// addr is http.listen, with loopback for "every address" (the
	// Host header then names an address the switch accepts).
	addr string
	// read and write are the tokens sent for reads and for writes; ""
	// sends none (a switch with no token configured). With only read
	// tokens, a write sends one: the switch's 403 then says what is
	// missing, where no token would only get a 401.
	read, write string
}

func newAdminAPI(h config.HTTP) adminAPI {
	addr := h.Listen
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			lo := "127.0.0.1"
			if ip != nil && ip.To4() == nil {
				lo = "::1"
			}
			addr = net.JoinHostPort(lo, port)
		}
	}
	return adminAPI{addr: addr, read: h.ClientToken(false), write: cmp.Or(h.ClientToken(true), h.ClientToken(false))}
}

// request builds a request for path (with its query), carrying the read
// token for a GET and the write token for anything else.
func (a adminAPI) request(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+a.addr+path, body)
	if err != nil {
		return nil, err
	}
	tok := a.write
	if method == http.MethodGet || method == http.MethodHead {
		tok = a.read
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return req, nil
}

// answered is the error for an answer other than the one expected; a
// refused token says what the config lacks.
func (a adminAPI) answered(res *http.Response, body []byte) error {
	hint := ""
	switch res.StatusCode {
	case http.StatusUnauthorized:
		hint = " (this config has no token the switch accepts: http.tokens or $" + config.AdminTokenEnv + ")"
	case http.StatusForbidden:
		hint = " (this config's token may only read here: a write token is needed)"
	}
	return fmt.Errorf("switch at %s answered %s: %s%s", a.addr, res.Status, bytes.TrimSpace(body), hint)
}
