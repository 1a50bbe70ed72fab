package configedit

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const sessionCorp = "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n"

func corpPair() Pair {
	return Pair{Name: "dev", Session: "corp", AccountID: "111122223333", RoleName: "Dev", Command: []string{"/bin/sso-credproc"}}
}

func planFile(t *testing.T, path string, p Pair, force bool) *Edit {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		data = nil
	} else if err != nil {
		t.Fatal(err)
	}
	e, err := Plan(path, data, p, force)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// leftovers lists files in dir other than want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range entries {
		found := false
		for _, w := range want {
			found = found || e.Name() == w
		}
		if !found {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

func TestApplyWritesBackupAndKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	old := []byte("# mine\n" + sessionCorp)
	if err := os.WriteFile(path, old, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil { // whatever the umask
		t.Fatal(err)
	}
	e := planFile(t, path, corpPair(), false)
	if err := e.Apply(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, e.New) {
		t.Errorf("written %q, want %q", got, e.New)
	}
	bak, err := os.ReadFile(path + ".bak")
	if err != nil || !bytes.Equal(bak, old) {
		t.Errorf("backup %q, %v", bak, err)
	}
	if e.BackupPath() != path+".bak" {
		t.Errorf("BackupPath %q", e.BackupPath())
	}
	if runtime.GOOS != "windows" {
		for _, p := range []string{path, path + ".bak"} {
			if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o640 {
				t.Errorf("%s: mode %v, %v; want 0640", p, st.Mode().Perm(), err)
			}
		}
	}
	if extra := leftovers(t, dir, "config", "config.bak"); len(extra) > 0 {
		t.Errorf("left behind: %v", extra)
	}

	// A second run with --force replaces the pair and backs up the first result.
	p := corpPair()
	p.RoleName = "Admin"
	e2 := planFile(t, path, p, true)
	if err := e2.Apply(); err != nil {
		t.Fatal(err)
	}
	bak, _ = os.ReadFile(path + ".bak")
	if !bytes.Equal(bak, e.New) {
		t.Errorf("second backup %q", bak)
	}
	got, _ = os.ReadFile(path)
	if !bytes.Contains(got, []byte("sso_role_name = Admin\n")) || bytes.Contains(got, []byte("sso_role_name = Dev\n")) {
		t.Errorf("after force: %q", got)
	}
}

func TestApplyNewFileCreatesDirectory(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".aws", "config")
	p := corpPair()
	p.NewSession = &Session{StartURL: "https://x.awsapps.com/start", Region: "eu-west-1"}
	e := planFile(t, path, p, false)
	if err := e.Apply(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, e.New) {
		t.Fatalf("%q, %v", got, err)
	}
	if _, err := os.Stat(path + ".bak"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("backup of a file that did not exist: %v", err)
	}
	if runtime.GOOS != "windows" {
		st, _ := os.Stat(path)
		dst, _ := os.Stat(filepath.Dir(path))
		if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
			t.Errorf("modes: file %v, dir %v", st.Mode().Perm(), dst.Mode().Perm())
		}
	}
}

func TestApplyRefusesChangedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(sessionCorp), 0o600); err != nil {
		t.Fatal(err)
	}
	e := planFile(t, path, corpPair(), false)
	changed := []byte(sessionCorp + "[profile other]\nregion = us-east-1\n")
	if err := os.WriteFile(path, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(); !errors.Is(err, ErrChanged) {
		t.Fatalf("Apply: %v, want ErrChanged", err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, changed) {
		t.Errorf("file touched: %q", got)
	}

	// A file that appeared after a plan for an absent one.
	path2 := filepath.Join(dir, "config2")
	p := corpPair()
	p.NewSession = &Session{StartURL: "https://x.awsapps.com/start", Region: "eu-west-1"}
	e2 := planFile(t, path2, p, false)
	if err := os.WriteFile(path2, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e2.Apply(); !errors.Is(err, ErrChanged) {
		t.Fatalf("Apply: %v, want ErrChanged", err)
	}
}

// The file changes between the backup and the rename (the last check).
func TestApplyRefusesChangeJustBeforeRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(sessionCorp), 0o600); err != nil {
		t.Fatal(err)
	}
	e := planFile(t, path, corpPair(), false)
	orig := createTemp
	t.Cleanup(func() { createTemp = orig })
	createTemp = func(d, pattern string) (*os.File, error) {
		if strings.HasPrefix(pattern, ".config.tmp") {
			os.WriteFile(path, []byte("# someone else\n"), 0o600)
		}
		return orig(d, pattern)
	}
	if err := e.Apply(); !errors.Is(err, ErrChanged) {
		t.Fatalf("Apply: %v, want ErrChanged", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "# someone else\n" {
		t.Errorf("file %q", got)
	}
	if extra := leftovers(t, dir, "config", "config.bak"); len(extra) > 0 {
		t.Errorf("left behind: %v", extra)
	}
}

// A failing step leaves the file as it was and no temporary file.
func TestApplyFailureLeavesFileWhole(t *testing.T) {
	for _, step := range []string{"rename", "create"} {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config")
			old := []byte("# mine\n" + sessionCorp)
			if err := os.WriteFile(path, old, 0o600); err != nil {
				t.Fatal(err)
			}
			e := planFile(t, path, corpPair(), false)
			boom := errors.New("boom")
			origRename, origCreate := rename, createTemp
			t.Cleanup(func() { rename, createTemp = origRename, origCreate })
			switch step {
			case "rename":
				rename = func(from, to string) error {
					if to == path {
						return boom
					}
					return origRename(from, to)
				}
			case "create":
				createTemp = func(string, string) (*os.File, error) { return nil, boom }
			}
			if err := e.Apply(); !errors.Is(err, boom) {
				t.Fatalf("Apply: %v", err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
				t.Errorf("file changed: %q", got)
			}
			if extra := leftovers(t, dir, "config", "config.bak"); len(extra) > 0 {
				t.Errorf("left behind: %v", extra)
			}
		})
	}
}

// A config file that is a symbolic link: the file it points to is written,
// the link stays.
func TestApplyThroughSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles-config")
	link := filepath.Join(dir, "config")
	if err := os.WriteFile(real, []byte(sessionCorp), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	e := planFile(t, link, corpPair(), false)
	if err := e.Apply(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("link replaced: %v %v", st.Mode(), err)
	}
	if got, _ := os.ReadFile(real); !bytes.Equal(got, e.New) {
		t.Errorf("target %q", got)
	}
	if _, err := os.Stat(real + ".bak"); err != nil {
		t.Errorf("backup: %v", err)
	}
}

func TestApplyRefusesNonRegularFile(t *testing.T) {
	dir := t.TempDir()
	e := &Edit{Path: dir, Old: []byte{}, New: []byte("x")}
	if err := e.Apply(); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Apply on a directory: %v", err)
	}
}
