//go:build windows

package cli

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// jobChildEnv makes TestJobChildHelper act as the child: it exits with the
// status given, or sleeps for a minute when it is "sleep".
const jobChildEnv = "SSO_CREDPROC_TEST_JOB_CHILD"

func TestJobChildHelper(t *testing.T) {
	switch v := os.Getenv(jobChildEnv); v {
	case "":
		t.Skip("the child of TestStartInJob")
	case "sleep":
		time.Sleep(time.Minute)
		os.Exit(0)
	default:
		code, _ := strconv.Atoi(v)
		os.Exit(code)
	}
}

func startHelper(t *testing.T, mode string) *jobChild {
	t.Helper()
	t.Setenv(jobChildEnv, mode)
	c, err := startInJob(os.Args[0], []string{"-test.run=^TestJobChildHelper$"})
	if err != nil {
		t.Fatal(err)
	}
	if c.job == 0 {
		t.Error("the child is not in a job")
	}
	return c
}

// waitFor returns the child's status, or fails when it runs on.
func waitFor(t *testing.T, c *jobChild, d time.Duration) (int, bool) {
	t.Helper()
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := c.Wait()
		done <- result{code, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.code, true
	case <-time.After(d):
		return 0, false
	}
}

// The child started suspended runs once resumed, and its status comes back.
func TestStartInJobRuns(t *testing.T) {
	c := startHelper(t, "42")
	defer c.close()
	if code, ok := waitFor(t, c, time.Minute); !ok || code != 42 {
		t.Errorf("child status %d (exited: %v), want 42", code, ok)
	}
}

// Closing the job's handle, as this process's exit does, kills the child;
// after Outlive it does not.
func TestStartInJobKillOnClose(t *testing.T) {
	c := startHelper(t, "sleep")
	c.close()
	if _, ok := waitFor(t, c, 10*time.Second); !ok {
		c.cmd.Process.Kill()
		t.Fatal("the child outlived its job's handle")
	}

	c = startHelper(t, "sleep")
	if err := c.Outlive(); err != nil {
		t.Fatal(err)
	}
	c.close()
	if _, ok := waitFor(t, c, time.Second); ok {
		t.Fatal("the child died with its job's handle after Outlive")
	}
	c.cmd.Process.Kill()
}
