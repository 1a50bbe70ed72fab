package configedit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Seams for tests that make a step fail.
var (
	createTemp = os.CreateTemp
	rename     = os.Rename
)

// Target is the file Apply writes: Path, or the file it links to when Path
// is a symbolic link (the link stays, e.g. one made by a dotfiles manager).
func (e *Edit) Target() string {
	if real, err := filepath.EvalSymlinks(e.Path); err == nil {
		return real
	}
	return e.Path
}

// BackupPath is where Apply keeps the old content: Target()+".bak".
func (e *Edit) BackupPath() string { return e.Target() + ".bak" }

// Apply writes the edit. In order:
//
//  1. The file is read again and must still hold Old (or still be absent
//     when Old is nil); else ErrChanged, and nothing is written.
//  2. For a new file, its directory is created with mode 0700 if missing
//     (~/.aws); the file gets mode 0600. An existing file keeps its mode.
//  3. An existing file's content is saved to BackupPath() with the same
//     mode, itself written atomically, replacing an older backup.
//  4. New goes to a temporary file in the same directory, is synced, and —
//     after checking once more that the file still holds Old — renamed over
//     the file. os.Rename replaces the target atomically on Unix (rename(2))
//     and on Windows (MoveFileEx with MOVEFILE_REPLACE_EXISTING, which fails
//     rather than half-writes when another program holds the file open
//     without sharing delete).
//
// On any error the file is as it was (a backup may have been written) and
// no temporary file is left behind. Errors are *Error wrapping ErrChanged,
// or plain errors from the file system, wrapped with the path.
func (e *Edit) Apply() error {
	target := e.Target()
	mode := fs.FileMode(0o600)
	st, err := os.Stat(target)
	switch {
	case err == nil && !st.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", target)
	case err == nil:
		mode = st.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	unchanged := func() error {
		cur, err := os.ReadFile(target)
		switch {
		case errors.Is(err, fs.ErrNotExist) && e.Old == nil:
			return nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return err
		case err == nil && e.Old != nil && bytes.Equal(cur, e.Old):
			return nil
		}
		return fail(ErrChanged, "run the command again to plan the change on the file as it is now",
			"%s changed since it was read; nothing was written", target)
	}
	if err := unchanged(); err != nil {
		return err
	}
	if e.Old == nil {
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return err
		}
	} else if err := writeAtomic(e.BackupPath(), e.Old, mode, nil); err != nil {
		return fmt.Errorf("back up %s: %w", target, err)
	}
	return writeAtomic(target, e.New, mode, unchanged)
}

// writeAtomic writes data to a temporary file beside path with the given
// mode, syncs it, runs check (when non-nil) and renames the file to path.
func writeAtomic(path string, data []byte, mode fs.FileMode, check func() error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := createTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if check != nil {
		if err = check(); err != nil {
			return err
		}
	}
	if err = rename(tmp, path); err != nil {
		return err
	}
	// Make the rename durable where directories can be synced (not on
	// Windows, where opening or syncing a directory fails: ignored).
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
