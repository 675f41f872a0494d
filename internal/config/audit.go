package config

import (
	"os"
	"time"
)

// SigningKeyEnv is the environment variable that may carry the bundle
// signing key instead of audit.signing_key_file: the standard base64 of
// the 32-byte ed25519 seed, or the PEM PKCS#8 text.
const SigningKeyEnv = "SOFTSWITCH_AUDIT_SIGNING_KEY"

// Audit is the `audit:` section.
type Audit struct {
	// AnchorInterval (duration) between anchors: the switch verifies the
	// journal's hash chain since the previous anchor and records the head
	// (an audit.anchored event, and a line of <data_dir>/anchors.jsonl to
	// export). Default 1m.
	AnchorInterval time.Duration `yaml:"anchor_interval"`
	// Capture is "summary" (method, code, timing of each SIP transaction)
	// or "full" (the whole messages too, in the sip.transaction events, so
	// replay shows them exactly; costs log space, see docs/benchmarks.md).
	// Default summary.
	Capture string `yaml:"capture"`
	// SigningKeyFile (path) is the ed25519 private key, PEM PKCS#8 (as
	// `softswitch audit keygen` or `openssl genpkey -algorithm ed25519`
	// write it), that signs exported bundles' manifests. Empty: the key
	// comes from $SOFTSWITCH_AUDIT_SIGNING_KEY, or bundles are unsigned.
	// Setting both is refused, so it is never unclear which key signed.
	SigningKeyFile string `yaml:"signing_key_file"`
}

func (a *Audit) setDefaults() {
	if a.AnchorInterval == 0 {
		a.AnchorInterval = time.Minute
	}
	if a.Capture == "" {
		a.Capture = "summary"
	}
}

// Validate checks the audit section.
func (a *Audit) Validate() error {
	if a.AnchorInterval < 0 {
		return fieldErr("audit.anchor_interval", "must be positive")
	}
	if a.Capture != "summary" && a.Capture != "full" {
		return fieldErr("audit.capture", "must be summary or full, got %q", a.Capture)
	}
	if a.SigningKeyFile != "" {
		// The key itself is parsed where it is used (audit export), but
		// a path that cannot hold it is caught at load.
		st, err := os.Stat(a.SigningKeyFile)
		if err != nil {
			return fieldErr("audit.signing_key_file", "%v", err)
		}
		if !st.Mode().IsRegular() {
			return fieldErr("audit.signing_key_file", "%s is not a regular file", a.SigningKeyFile)
		}
		if v := os.Getenv(SigningKeyEnv); v != "" {
			return fieldErr("audit.signing_key_file", "set, and so is %s: use one of them", SigningKeyEnv)
		}
	}
	return nil
}
