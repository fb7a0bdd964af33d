// Command stockpile compiles a Git repository of package manifests into a
// static, signed package registry, and serves, publishes and verifies it.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// memoryLimit is the default soft limit of the Go heap: large builds
// allocate much short-lived memory (compression tables), and without a limit
// the collector lets the process grow well past what it keeps alive.
// GOMEMLIMIT overrides it.
const memoryLimit = 768 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}
