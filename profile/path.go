package profile

import (
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
)

// ConfigPath returns AWS_CONFIG_FILE (with $VAR and ~ expanded, as
// botocore does) or ~/.aws/config, "~" being HomeDir.
func ConfigPath(env func(string) string) string {
	if env == nil {
		env = os.Getenv
	}
	return configPath(runtime.GOOS, env, accountHome)
}

// configPath is ConfigPath on goos; see homeDir for env and account.
func configPath(goos string, env func(string) string, account func() string) string {
	if p := env("AWS_CONFIG_FILE"); p != "" {
		return expandPathOn(goos, p, env, account)
	}
	home := homeDir(goos, env, account)
	if home == "" {
		return filepath.Join("~", ".aws", "config")
	}
	return filepath.Join(home, ".aws", "config")
}

// expandPath is what botocore's raw_config_parse does to the path on this
// OS: os.path.expandvars, then os.path.expanduser.
func expandPath(p string, env func(string) string) string {
	return expandPathOn(runtime.GOOS, p, env, accountHome)
}

// expandPathOn is expandPath on goos, where os.path is ntpath on Windows
// and posixpath elsewhere.
func expandPathOn(goos, p string, env func(string) string, account func() string) string {
	if goos == "windows" {
		return ntExpandUser(ntExpandVars(p, env), env, account)
	}
	return expandUser(expandVars(p, env), env, account)
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

// expandUser is Python's posixpath.expanduser: "~" and "~/..." use
// homeDir, "~name/..." that user's home; anything else, or a user not
// found, is returned unchanged.
func expandUser(p string, env func(string) string, account func() string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	i := strings.IndexByte(p[1:], '/') + 1
	if i == 0 {
		i = len(p)
	}
	var home string
	if i == 1 {
		home = homeDir("linux", env, account)
	} else if u, err := user.Lookup(p[1:i]); err == nil {
		home = u.HomeDir
	}
	if home == "" {
		return p
	}
	if r := strings.TrimRight(home, "/") + p[i:]; r != "" {
		return r
	}
	return "/"
}

// ntExpandUser is Python's ntpath.expanduser (3.8 and newer): "~" and
// "~\..." use homeDir on Windows; "~name\..." is the directory beside it
// named name, when the home directory's last component is USERNAME (a
// guess Python makes, as profiles usually sit side by side); otherwise the
// path is returned unchanged. Unlike posixpath, the home directory keeps
// its trailing separators.
func ntExpandUser(p string, env func(string) string, account func() string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	i := strings.IndexAny(p[1:], ntSeps) + 1
	if i == 0 {
		i = len(p)
	}
	home := homeDir("windows", env, account)
	if home == "" {
		return p
	}
	if i != 1 {
		target, current := p[1:i], env("USERNAME")
		if target != current {
			dir, base := ntSplit(home)
			if current != base {
				return p
			}
			home = ntJoin(dir, target)
		}
	}
	return home + p[i:]
}

// ntExpandVars is Python 3.11's ntpath.expandvars: %NAME%, $NAME (ASCII
// letters, digits, "_" and "-") and ${NAME} are replaced when the variable
// is set and left as written otherwise; "%%" and "$$" are "%" and "$"; text
// within single quotes is not expanded. env cannot tell an empty variable
// from an unset one; both are left as written.
func ntExpandVars(p string, env func(string) string) string {
	if !strings.ContainsAny(p, "$%") {
		return p
	}
	lookup := func(name, asWritten string) string {
		if name != "" {
			if v := env(name); v != "" {
				return v
			}
		}
		return asWritten
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\'':
			end := strings.IndexByte(p[i+1:], '\'')
			if end < 0 {
				b.WriteString(p[i:])
				return b.String()
			}
			b.WriteString(p[i : i+end+2])
			i += end + 1
		case c == '%' && strings.HasPrefix(p[i+1:], "%"):
			b.WriteByte('%')
			i++
		case c == '%':
			end := strings.IndexByte(p[i+1:], '%')
			if end < 0 {
				b.WriteString(p[i:])
				return b.String()
			}
			name := p[i+1 : i+1+end]
			b.WriteString(lookup(name, "%"+name+"%"))
			i += end + 1
		case c == '$' && strings.HasPrefix(p[i+1:], "$"):
			b.WriteByte('$')
			i++
		case c == '$' && strings.HasPrefix(p[i+1:], "{"):
			end := strings.IndexByte(p[i+2:], '}')
			if end < 0 {
				b.WriteString(p[i:])
				return b.String()
			}
			name := p[i+2 : i+2+end]
			b.WriteString(lookup(name, "${"+name+"}"))
			i += end + 2
		case c == '$':
			end := i + 1
			for end < len(p) && (isWordByte(p[end]) || p[end] == '-') {
				end++
			}
			name := p[i+1 : end]
			b.WriteString(lookup(name, "$"+name))
			i = end - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
