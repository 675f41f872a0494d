package main

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
)

// TestUsageListsEveryFlag: each verb's --help answers (exit 0) with its
// synopsis and flags, and every flag it defines is in its synopsis in the
// usage `softswitch` prints with no arguments — except the overrides
// every config-reading verb takes, which the usage names once.
func TestUsageListsEveryFlag(t *testing.T) {
	common := map[string]bool{"config": true, "data": true, "http": true, "sip": true}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	for _, v := range verbs {
		t.Run(v.name, func(t *testing.T) {
			err := dispatch(context.Background(), append(strings.Fields(v.name), "--help"), io.Discard, io.Discard)
			var he helpError
			if !errors.As(err, &he) {
				t.Fatalf("--help: %v, want the verb's help", err)
			}
			text := string(he)
			if !strings.HasPrefix(text, "usage: softswitch "+v.name+" "+v.synopsis+"\n") {
				t.Fatalf("--help does not start with the verb's synopsis:\n%s", text)
			}
			flags := flagLine.FindAllStringSubmatch(text, -1)
			if len(flags) == 0 {
				t.Fatalf("--help lists no flag:\n%s", text)
			}
			for _, f := range flags {
				name := f[1]
				if strings.Contains(v.synopsis, "--"+name) || common[name] && strings.Contains(usage, "--"+name) {
					continue
				}
				t.Errorf("flag --%s is missing from the usage line %q", name, v.synopsis)
			}
		})
	}
	if err := dispatch(context.Background(), nil, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "softswitch audit verify ") {
		t.Fatalf("no arguments: %v, want the usage listing every verb", err)
	}
}

// TestBadFlagNamesTheVerb: an unknown flag is a usage error that says
// which flag and shows the verb's synopsis.
func TestBadFlagNamesTheVerb(t *testing.T) {
	err := dispatch(context.Background(), []string{"replay", "--bogus"}, io.Discard, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-bogus") || !strings.Contains(err.Error(), "usage: softswitch replay --config") {
		t.Fatalf("err %v", err)
	}
}
