//go:build !windows

package filestore

import "os"

// openTerminal opens the controlling terminal for reading and writing.
func openTerminal() (in, out *os.File, err error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, nil, err
	}
	return f, f, nil
}
