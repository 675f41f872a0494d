//go:build e2e

// A WebDriver client for the console's browser test: Debian's chromium
// driven by /usr/bin/chromedriver over the W3C WebDriver protocol, from Go.
// Chosen over Playwright so the test needs no npm, no lock file and no
// browser download: two Debian packages (deploy/local/install-chromium.sh).
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"softswitch/internal/itest"
)

const (
	chromiumBin     = "/usr/bin/chromium"
	chromedriverBin = "/usr/bin/chromedriver"
	// webElementKey names an element in a WebDriver answer (W3C §12).
	webElementKey = "element-6066-11e4-a52e-4f735466cecf"
)

// browser is one WebDriver session.
type browser struct {
	t    *testing.T
	base string // chromedriver's URL
	sid  string
	shot string // where screenshots go
	n    int
}

// startBrowser starts chromedriver and a headless chromium session with
// a fresh profile. The machine has no network beyond loopback: every
// background fetch chromium would make is turned off. The test fails
// (never skips) without the two binaries: CI installs them.
func startBrowser(t *testing.T, shots string) *browser {
	t.Helper()
	for _, b := range []string{chromiumBin, chromedriverBin} {
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("%s missing (deploy/local/install-chromium.sh installs it): %v", b, err)
		}
	}
	port, err := itest.FreeTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(t.TempDir(), "chromedriver.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(chromedriverBin, "--port="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromedriver: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		logf.Close()
	})
	b := &browser{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), shot: shots}
	itest.Eventually(t, 10*time.Second, "chromedriver ready", func() bool {
		var st struct {
			Ready bool `json:"ready"`
		}
		return b.call("GET", "/status", nil, &st) == nil && st.Ready
	})
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromiumBin,
			"args": []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--window-size=1400,1000", "--user-data-dir=" + t.TempDir()},
		},
	}}}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("POST", "/session", caps, &sess); err != nil {
		t.Fatalf("new WebDriver session: %v", err)
	}
	b.sid = sess.SessionID
	t.Cleanup(func() { _ = b.call("DELETE", "/session/"+b.sid, nil, nil) })
	return b
}

// call is one WebDriver command; out receives the answer's "value".
func (b *browser) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		j, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, env.Value)
	}
	if out != nil {
		return json.Unmarshal(env.Value, out)
	}
	return nil
}

func (b *browser) session(method, path string, in, out any) {
	b.t.Helper()
	if err := b.call(method, "/session/"+b.sid+path, in, out); err != nil {
		b.t.Fatal(err)
	}
}

// open loads a URL (a real page load).
func (b *browser) open(url string) {
	b.t.Helper()
	b.session("POST", "/url", map[string]string{"url": url}, nil)
}

// find returns the element matching a CSS selector, waiting up to 10 s.
func (b *browser) find(css string) string {
	b.t.Helper()
	var id string
	defer func() {
		if id == "" {
			b.screenshot("missing-element") // why, for whoever reads the log
		}
	}()
	itest.Eventually(b.t, 10*time.Second, "element "+css, func() bool {
		var el map[string]string
		if b.call("POST", "/session/"+b.sid+"/element", map[string]string{"using": "css selector", "value": css}, &el) != nil {
			return false
		}
		id = el[webElementKey]
		return id != ""
	})
	return id
}

// typeInto clears an input and types text into it, key by key.
func (b *browser) typeInto(css, text string) {
	b.t.Helper()
	id := b.find(css)
	b.session("POST", "/element/"+id+"/clear", map[string]any{}, nil)
	b.session("POST", "/element/"+id+"/value", map[string]string{"text": text}, nil)
}

func (b *browser) click(css string) {
	b.t.Helper()
	b.session("POST", "/element/"+b.find(css)+"/click", map[string]any{}, nil)
}

// js runs a script in the page and decodes its return value into out.
func (b *browser) js(out any, script string, args ...any) {
	b.t.Helper()
	if args == nil {
		args = []any{}
	}
	b.session("POST", "/execute/sync", map[string]any{"script": script, "args": args}, out)
}

// text is the textContent of the first match of css, "" when none.
func (b *browser) text(css string) string {
	b.t.Helper()
	var s string
	b.js(&s, `const e = document.querySelector(arguments[0]); return e ? e.textContent : "";`, css)
	return s
}

// waitText waits until the first match of css has text for which ok holds.
func (b *browser) waitText(css, what string, ok func(string) bool) string {
	b.t.Helper()
	var s string
	done := false
	defer func() {
		if !done {
			b.screenshot("timed-out")
		}
	}()
	itest.Eventually(b.t, 15*time.Second, what+" ("+css+")", func() bool {
		s = b.text(css)
		return ok(s)
	})
	done = true
	return s
}

// screenshot saves the page as NAME.png in the screenshot directory.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	var s string
	b.session("GET", "/screenshot", nil, &s)
	png, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b.t.Fatal(err)
	}
	b.n++
	path := filepath.Join(b.shot, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
}
