//go:build windows

package cli

import (
	"context"
	"time"
)

// watchParent is not implemented on Windows: a process there is not given a
// new parent when its parent exits. The returned channel is never closed.
func watchParent(ctx context.Context, interval time.Duration) <-chan struct{} {
	return nil
}

func detachStdio() error { return nil }
