//go:build e2e

package main

import (
	"os"
	"testing"

	"softswitch/internal/itest"
)

// TestMain removes the switch binary the end-to-end tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	itest.RemoveBinary()
	os.Exit(code)
}
