package filestore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sso-credproc/sso-credproc/keychain"
)

const childEnv = "FILESTORE_TEST_CHILD"

// Many processes start on an empty directory at once, as 64 credential
// calls would: one creates the key, all write and read the same item, and
// every read is a whole value that some process wrote.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const procs = 16
	data := t.TempDir()
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(i), "XDG_DATA_HOME="+data, EnvPassphrase+"=child passphrase", EnvIdentity+"=")
		outs[i] = new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	notices := 0
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
		notices += strings.Count(outs[i].String(), "NOTICE created the file store")
	}
	if notices != 1 {
		t.Errorf("%d first-use notices, want 1", notices)
	}
	dir := filepath.Join(data, "sso-credproc", "store")
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files %v, want the key and one item", entries)
	}
	v, err := New(Options{Dir: dir, Passphrase: "child passphrase"}).Get(ctx, tokenKey)
	if err != nil || !strings.HasPrefix(string(v), "process ") {
		t.Errorf("final value %.30q, %v", v, err)
	}
}

// children are the programs the test binary runs as instead of its tests
// when their variable is set (see TestMain): variable -> program, which
// returns an error to fail with.
var children = map[string]func() error{childEnv: concurrentChild}

func TestMain(m *testing.M) {
	for env, child := range children {
		if os.Getenv(env) != "" {
			if err := child(); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(1)
			}
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

// concurrentChild is one process of TestConcurrentProcesses.
func concurrentChild() error {
	me := os.Getenv(childEnv)
	s := FromEnv(os.Getenv, func(m string) { fmt.Println("NOTICE", m) })
	for round := range 10 {
		v := fmt.Sprintf("process %s round %d %s", me, round, strings.Repeat("x", 2000))
		if err := s.Set(ctx, tokenKey, []byte(v)); err != nil {
			return err
		}
		got, err := s.Get(ctx, tokenKey)
		if err != nil && !errors.Is(err, keychain.ErrNotFound) {
			return err
		}
		if !strings.HasPrefix(string(got), "process ") || !strings.HasSuffix(string(got), strings.Repeat("x", 2000)) {
			return fmt.Errorf("read %.40q", got)
		}
	}
	return nil
}
