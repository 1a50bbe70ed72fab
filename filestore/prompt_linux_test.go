//go:build linux

package filestore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	promptChildEnv = "FILESTORE_TEST_PROMPT_CHILD"
	noTTYEnv       = "FILESTORE_TEST_NO_TTY"
)

// openPTY returns a pseudo-terminal's master and its slave.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// echoOn reports whether the terminal echoes input (a pty's master shares
// the slave's settings).
func echoOn(t *testing.T, master *os.File) bool {
	tio, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// A passphrase typed on the terminal: a new store asks twice, a second
// process once, without echo, while stderr is captured (as botocore does);
// a caller that gives up leaves the terminal echoing again.
func TestTerminalPrompt(t *testing.T) {
	master, slave := openPTY(t)
	data := t.TempDir()
	run := func(mode string, answers map[string]string) (stdout, screen string) {
		t.Helper()
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), promptChildEnv+"="+mode, "XDG_DATA_HOME="+data, EnvPassphrase+"=", EnvIdentity+"=")
		var out, errb bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, &out, &errb
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var seen strings.Builder
		var mu sync.Mutex
		done := make(chan struct{})
		go func() { // the user at the terminal
			defer close(done)
			r := bufio.NewReader(master)
			from := 0 // the screen after the last answer
			for {
				master.SetReadDeadline(time.Now().Add(30 * time.Second))
				b, err := r.ReadByte()
				if err != nil {
					return
				}
				mu.Lock()
				seen.WriteByte(b)
				s := seen.String()
				mu.Unlock()
				for prompt, answer := range answers {
					if strings.Contains(s[from:], prompt) && strings.HasSuffix(s, ": ") {
						for deadline := time.Now().Add(10 * time.Second); echoOn(t, master) && time.Now().Before(deadline); {
							time.Sleep(5 * time.Millisecond)
						}
						master.WriteString(answer + "\n")
						from = len(s)
					}
				}
				if strings.Contains(s, "CHILD DONE") {
					return
				}
			}
		}()
		err := cmd.Wait()
		<-done
		if err != nil {
			t.Fatalf("%s: %v\nstdout %s\nstderr %s\nterminal %q", mode, err, out.String(), errb.String(), seen.String())
		}
		mu.Lock()
		defer mu.Unlock()
		return out.String(), seen.String()
	}

	out, screen := run("create", map[string]string{"new passphrase for the file store": "typed secret", "the same passphrase again": "typed secret"})
	if !strings.Contains(out, "created") || !strings.Contains(screen, "sso-credproc: new passphrase for the file store") {
		t.Errorf("create: stdout %q terminal %q", out, screen)
	}
	if strings.Contains(screen, "typed secret") {
		t.Errorf("the passphrase was echoed: %q", screen)
	}
	out, screen = run("read", map[string]string{"passphrase of the file store": "typed secret"})
	if !strings.Contains(out, "read v") || strings.Contains(screen, "typed secret") {
		t.Errorf("read: stdout %q terminal %q", out, screen)
	}
	out, _ = run("give-up", nil)
	if !strings.Contains(out, "gave up") {
		t.Errorf("give-up: stdout %q", out)
	}
	if !echoOn(t, master) {
		t.Error("the terminal was left without echo")
	}
}

func init() {
	children[promptChildEnv] = promptChild
	children[noTTYEnv] = noTerminalChild
}

// promptChild is the process of TestTerminalPrompt, on the terminal.
func promptChild() (err error) {
	defer func() {
		tty, _ := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
		fmt.Fprintln(tty, "CHILD DONE")
	}()
	s := FromEnv(os.Getenv, func(m string) { fmt.Fprintln(os.Stderr, m) })
	if s.o.Prompt == nil {
		return errors.New("no prompt, though there is a terminal")
	}
	s.o.WorkFactor = testWorkFactor
	switch mode := os.Getenv(promptChildEnv); mode {
	case "create":
		if err := s.Set(context.Background(), tokenKey, []byte("v")); err != nil {
			return err
		}
		fmt.Println("created")
	case "read":
		v, err := s.Get(context.Background(), tokenKey)
		if err != nil {
			return err
		}
		fmt.Println("read", string(v))
	case "give-up":
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, err := s.Get(ctx, tokenKey)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrNoPassphrase) {
			return fmt.Errorf("Get: %v", err)
		}
		fmt.Println("gave up")
	}
	return nil
}

// Without a terminal, FromEnv has no prompt and says so.
func TestNoTerminal(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), noTTYEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no controlling terminal
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "ok: no prompt") {
		t.Errorf("%v: %s", err, out)
	}
}

// noTerminalChild is the process of TestNoTerminal, in a session without
// a terminal.
func noTerminalChild() error {
	if TerminalPrompt() != nil {
		return errors.New("TerminalPrompt found a terminal in a session without one")
	}
	if _, err := askTerminal(context.Background(), "x"); !errors.Is(err, ErrNoTerminal) {
		return fmt.Errorf("askTerminal: %v", err)
	}
	fmt.Println("ok: no prompt")
	return nil
}
