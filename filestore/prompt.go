package filestore

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// TerminalPrompt returns a Prompt that asks on the terminal (/dev/tty; on
// Windows the console), or nil when this process has none.
func TerminalPrompt() func(ctx context.Context, prompt string) (string, error) {
	in, out, err := openTerminal()
	if err != nil {
		return nil
	}
	closeTerminal(in, out)
	return askTerminal
}

// askTerminal shows prompt on the terminal and reads a line without echo.
// When ctx ends first, the terminal's echo is restored and ctx's error
// returned; the read is abandoned (the process is about to end).
func askTerminal(ctx context.Context, prompt string) (string, error) {
	in, out, err := openTerminal()
	if err != nil {
		return "", ErrNoTerminal
	}
	fd := int(in.Fd())
	if !term.IsTerminal(fd) {
		closeTerminal(in, out)
		return "", ErrNoTerminal
	}
	state, err := term.GetState(fd)
	if err != nil {
		closeTerminal(in, out)
		return "", fmt.Errorf("%w: %v", ErrNoTerminal, err)
	}
	io.WriteString(out, "sso-credproc: "+prompt)
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := term.ReadPassword(fd)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		io.WriteString(out, "\n")
		closeTerminal(in, out)
		if r.err != nil {
			return "", r.err
		}
		return strings.TrimSuffix(string(r.line), "\r"), nil
	case <-ctx.Done():
		// The reader still uses fd: restore the echo, leave it open.
		term.Restore(fd, state)
		io.WriteString(out, "\n")
		return "", ctx.Err()
	}
}

func closeTerminal(in, out *os.File) {
	in.Close()
	if out != in {
		out.Close()
	}
}
