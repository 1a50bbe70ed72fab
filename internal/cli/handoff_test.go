package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeChild is a renewChild whose exit the test decides.
type fakeChild struct {
	exit       chan int // the child exits with what is sent
	outlived   atomic.Int32
	outliveErr error
}

func newFakeChild() *fakeChild { return &fakeChild{exit: make(chan int)} }

func (c *fakeChild) Wait() (int, error) { return <-c.exit, nil }

func (c *fakeChild) Outlive() error {
	c.outlived.Add(1)
	return c.outliveErr
}

// superviseAsync runs supervise and returns where its answer arrives.
func superviseAsync(c renewChild, parentGone <-chan struct{}, signals <-chan os.Signal) <-chan error {
	res := make(chan error, 1)
	go func() { res <- supervise(c, parentGone, signals) }()
	return res
}

func waitResult(t *testing.T, res <-chan error) error {
	t.Helper()
	select {
	case err := <-res:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("supervise did not return")
		return nil
	}
}

// Ctrl+C reaches the parent and the child alike (Windows consoles signal
// every attached process): the parent drops it and returns the status the
// child ends with, instead of dying at once while the child cleans up.
func TestSuperviseWaitsThroughInterrupts(t *testing.T) {
	c := newFakeChild()
	sigs := make(chan os.Signal) // unbuffered: each send is a receive by supervise
	res := superviseAsync(c, nil, sigs)
	for _, s := range []os.Signal{os.Interrupt, syscall.SIGTERM, os.Interrupt} {
		select {
		case sigs <- s:
		case err := <-res:
			t.Fatalf("supervise returned %v on a signal", err)
		case <-time.After(10 * time.Second):
			t.Fatal("supervise does not take signals")
		}
	}
	select {
	case err := <-res:
		t.Fatalf("supervise returned %v before the child exited", err)
	default:
	}
	c.exit <- 130
	if err := waitResult(t, res); err != exitCode(130) {
		t.Errorf("supervise = %v, want the child's exit status 130", err)
	}
	if n := c.outlived.Load(); n != 0 {
		t.Errorf("Outlive called %d times without the caller leaving", n)
	}
}

func TestSuperviseChildStatus(t *testing.T) {
	for _, code := range []int{0, 1, 2, 0xC000013A} {
		c := newFakeChild()
		res := superviseAsync(c, make(chan struct{}), nil)
		c.exit <- code
		err := waitResult(t, res)
		if code == 0 && err != nil || code != 0 && err != exitCode(code) {
			t.Errorf("child exit %d: supervise = %v", code, err)
		}
	}
}

// The caller has gone: the parent lets the child outlive it and returns at
// once (it exits, releasing its copy of the caller's pipes), without
// waiting for the child's sign-in.
func TestSuperviseCallerGone(t *testing.T) {
	c := newFakeChild()
	gone := make(chan struct{})
	res := superviseAsync(c, gone, nil)
	close(gone)
	if err := waitResult(t, res); !errors.Is(err, errCallerGone) {
		t.Errorf("supervise = %v, want errCallerGone", err)
	}
	if n := c.outlived.Load(); n != 1 {
		t.Errorf("Outlive called %d times, want 1", n)
	}
	var stderr bytes.Buffer
	if got := handoffStatus(errCallerGone, &stderr); got != 1 || stderr.Len() != 0 {
		t.Errorf("handoffStatus(errCallerGone) = %d, stderr %q; want 1 and nothing said", got, stderr.String())
	}
}

// When the child cannot be let go (its job keeps its kill flag), exiting
// would kill it and lose the sign-in: the parent keeps waiting instead.
func TestSuperviseKeepsChildItCannotLetGo(t *testing.T) {
	c := newFakeChild()
	c.outliveErr = errors.New("access denied")
	gone := make(chan struct{})
	res := superviseAsync(c, gone, nil)
	close(gone)
	deadline := time.Now().Add(10 * time.Second)
	for c.outlived.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-res:
		t.Fatalf("supervise returned %v, leaving a child that dies with it", err)
	default:
	}
	c.exit <- 0
	if err := waitResult(t, res); err != nil {
		t.Errorf("supervise = %v, want the child's status 0", err)
	}
	if n := c.outlived.Load(); n != 1 {
		t.Errorf("Outlive called %d times, want 1", n)
	}
}

func TestHandoffStatus(t *testing.T) {
	var stderr bytes.Buffer
	if got := handoffStatus(nil, &stderr); got != 0 {
		t.Errorf("handoffStatus(nil) = %d", got)
	}
	if got := handoffStatus(exitCode(130), &stderr); got != 130 || stderr.Len() != 0 {
		t.Errorf("handoffStatus(130) = %d, stderr %q", got, stderr.String())
	}
	if got := handoffStatus(errors.New("no such file"), &stderr); got != 1 ||
		!strings.Contains(stderr.String(), "sso-credproc: error: cannot renew credentials: no such file") || !strings.Contains(stderr.String(), "hint: install both") {
		t.Errorf("handoffStatus(error) = %d, stderr %q", got, stderr.String())
	}
}

func TestClassifyParent(t *testing.T) {
	self := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name                  string
		opened, noSuchProcess bool
		parentCreated         time.Time
		want                  parentState
	}{
		{"running parent", true, false, self.Add(-time.Second), parentRunning},
		{"created in the same tick", true, false, self, parentRunning},
		{"pid reused by a later process", true, false, self.Add(time.Millisecond), parentExited},
		{"no such process", false, true, time.Time{}, parentExited},
		{"access denied", false, false, time.Time{}, parentUnknown},
	}
	for _, tt := range tests {
		if got := classifyParent(tt.opened, tt.noSuchProcess, tt.parentCreated, self); got != tt.want {
			t.Errorf("%s: classifyParent = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// watchExit reports the exit once it is seen, gives up when the check
// fails or ctx ends, and releases what it watched in every case.
func TestWatchExit(t *testing.T) {
	const interval = 5 * time.Millisecond
	waitClosed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		case <-time.After(5 * time.Second):
			return false
		}
	}

	var calls atomic.Int32
	released := make(chan struct{})
	gone := watchExit(context.Background(), interval, func(wait time.Duration) (bool, error) {
		if wait != interval {
			t.Errorf("exited given %v, want %v", wait, interval)
		}
		return calls.Add(1) == 3, nil
	}, func() { close(released) })
	if !waitClosed(gone) || !waitClosed(released) {
		t.Fatal("exit not reported, or not released")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("exited called %d times, want 3", n)
	}

	released = make(chan struct{})
	gone = watchExit(context.Background(), interval, func(time.Duration) (bool, error) {
		return false, errors.New("wait failed")
	}, func() { close(released) })
	if !waitClosed(released) {
		t.Fatal("not released after a failed check")
	}
	select {
	case <-gone:
		t.Error("a failed check was reported as the parent's exit")
	default:
	}

	ctx, cancel := context.WithCancel(context.Background())
	released = make(chan struct{})
	gone = watchExit(ctx, interval, func(time.Duration) (bool, error) { return false, nil }, func() { close(released) })
	cancel()
	if !waitClosed(released) {
		t.Fatal("not released after ctx ended")
	}
	select {
	case <-gone:
		t.Error("the end of ctx was reported as the parent's exit")
	default:
	}
}
