package profile

import (
	"os"
	"runtime"
	"testing"
)

func TestHomeDir(t *testing.T) {
	env := map[string]string{"HOME": "/home/a", "USERPROFILE": `C:\Users\b`}
	get := func(k string) string { return env[k] }
	if got := HomeDir(get); got != "/home/a" {
		t.Errorf("HomeDir = %q, want HOME", got)
	}
	delete(env, "HOME")
	want := `C:\Users\b`
	if runtime.GOOS != "windows" {
		want, _ = os.UserHomeDir() // USERPROFILE means nothing here
	}
	if got := HomeDir(get); got != want {
		t.Errorf("HomeDir without HOME = %q, want %q", got, want)
	}
	t.Setenv("HOME", "/home/c")
	if got := HomeDir(nil); got != "/home/c" {
		t.Errorf("HomeDir(nil) = %q, want $HOME", got)
	}
}
