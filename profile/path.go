package profile

import (
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
)

// ConfigPath returns AWS_CONFIG_FILE (with ~ and $VAR expanded, as botocore
// does) or ~/.aws/config.
func ConfigPath(env func(string) string) string {
	if env == nil {
		env = os.Getenv
	}
	if p := env("AWS_CONFIG_FILE"); p != "" {
		return expandPath(p, env)
	}
	home := homeDir(env)
	if home == "" {
		return filepath.Join("~", ".aws", "config")
	}
	return filepath.Join(home, ".aws", "config")
}

// expandPath is what botocore's raw_config_parse does to the path:
// os.path.expandvars, then os.path.expanduser.
func expandPath(p string, env func(string) string) string {
	return expandUser(expandVars(p, env), env)
}

// expandVars is Python's posixpath.expandvars: $NAME and ${NAME} are replaced
// when the variable is set and left as they are otherwise. NAME is made of
// ASCII letters, digits and "_"; ${...} takes anything up to "}". (env cannot
// tell an empty variable from an unset one; both are left as written.)
func expandVars(p string, env func(string) string) string {
	if !strings.Contains(p, "$") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		if p[i] != '$' {
			b.WriteByte(p[i])
			i++
			continue
		}
		var name string
		end := i + 1
		if end < len(p) && p[end] == '{' {
			close := strings.IndexByte(p[end:], '}')
			if close < 0 {
				b.WriteByte('$')
				i++
				continue
			}
			name = p[end+1 : end+close]
			end += close + 1
		} else {
			for end < len(p) && isWordByte(p[end]) {
				end++
			}
			name = p[i+1 : end]
			if name == "" {
				b.WriteByte('$')
				i++
				continue
			}
		}
		v := ""
		if name != "" {
			v = env(name)
		}
		if v != "" {
			b.WriteString(v)
		} else {
			b.WriteString(p[i:end])
		}
		i = end
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// expandUser is Python's os.path.expanduser: "~" and "~/..." use HOME,
// "~name/..." that user's home; anything else is returned unchanged.
func expandUser(p string, env func(string) string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	seps := "/"
	if runtime.GOOS == "windows" {
		seps = `/\`
	}
	i := strings.IndexAny(p[1:], seps) + 1
	if i == 0 {
		i = len(p)
	}
	var home string
	if i == 1 {
		home = homeDir(env)
	} else if u, err := user.Lookup(p[1:i]); err == nil {
		home = u.HomeDir
	}
	if home == "" {
		return p
	}
	if r := strings.TrimRight(home, seps) + p[i:]; r != "" {
		return r
	}
	return "/"
}

func homeDir(env func(string) string) string {
	if h := env("HOME"); h != "" {
		return h
	}
	if runtime.GOOS == "windows" {
		if h := env("USERPROFILE"); h != "" {
			return h
		}
	}
	h, _ := os.UserHomeDir()
	return h
}
