package itest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RequireSipvicious checks that python3 can import sipvicious (installed by
// deploy/local/install-sipvicious.sh). Without it the test is skipped,
// unless SOFTSWITCH_REQUIRE_SIPP=1, which makes it a failure as for SIPp.
func RequireSipvicious(t testing.TB) {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import sipvicious").CombinedOutput()
	if err == nil {
		return
	}
	msg := "sipvicious not importable by python3 (deploy/local/install-sipvicious.sh): " + string(bytes.TrimSpace(out))
	if os.Getenv("SOFTSWITCH_REQUIRE_SIPP") == "1" {
		t.Fatalf("%s, and SOFTSWITCH_REQUIRE_SIPP=1", msg)
	}
	t.Skip(msg + "; set SOFTSWITCH_REQUIRE_SIPP=1 to make this a failure")
}

// Sipvicious runs one sipvicious tool (a module such as "sipvicious.svwar",
// or a script path ending in .py) with args, bounded by timeout, and
// returns its combined output. The tools exit non-zero when they find
// nothing, so the exit status is not an error; a timeout is.
func Sipvicious(t testing.TB, timeout time.Duration, tool string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := append([]string{"-m", tool}, args...)
	if strings.HasSuffix(tool, ".py") {
		argv = append([]string{tool}, args...)
	}
	cmd := exec.CommandContext(ctx, "python3", argv...)
	cmd.Stdin = nil
	out, _ := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not end within %s:\n%s", tool, args, timeout, out)
	}
	return string(out)
}
