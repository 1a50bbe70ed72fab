package profile

import (
	"os"
	"os/user"
	"runtime"
	"strings"
	"unicode/utf8"
)

// HomeDir returns the directory "~" stands for in ~/.aws/config and
// ~/.aws/sso/cache, by the rule of the AWS CLI and botocore on this OS (see
// homeDir); "" when none is known. env is os.Getenv when nil. ConfigPath
// and the expansion of AWS_CONFIG_FILE use the same rule, so that
// sso-credproc reads the config the calling SDK reads and finds
// ~/.aws/sso/cache next to it.
func HomeDir(env func(string) string) string {
	if env == nil {
		env = os.Getenv
	}
	return homeDir(runtime.GOOS, env, accountHome)
}

// homeDir is HomeDir on goos, with env for the environment and account for
// the home directory of the account this process runs as:
//
//   - Windows: USERPROFILE, else HOMEDRIVE+HOMEPATH when HOMEPATH is set.
//     This is Python's ntpath.expanduser (3.8 and newer), which botocore's
//     os.path.expanduser is on Windows; it ignores HOME, so that under Git
//     Bash, Cygwin or a corporate HOME the AWS CLI still reads
//     %USERPROFILE%\.aws\config. aws-sdk-go-v2 reads USERPROFILE too
//     (internal/shareddefaults.UserHomeDir calls os.UserHomeDir).
//   - elsewhere: HOME (posixpath.expanduser; os.UserHomeDir in the Go SDK).
//
// When the variables are unset, the account's home directory, as the Go
// SDK falls back to user.Current().HomeDir (botocore falls back to the
// password database on Unix and leaves "~" as it is on Windows). env cannot
// tell an empty variable from an unset one; both count as unset.
func homeDir(goos string, env func(string) string, account func() string) string {
	if goos == "windows" {
		if h := env("USERPROFILE"); h != "" {
			return h
		}
		if p := env("HOMEPATH"); p != "" {
			return ntJoin(env("HOMEDRIVE"), p)
		}
	} else if h := env("HOME"); h != "" {
		return h
	}
	return account()
}

// accountHome is the home directory of the account this process runs as,
// from the password database (Unix) or the user profile (Windows); "" when
// it cannot be looked up.
func accountHome() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	return u.HomeDir
}

// ntSeps are the path separators of Windows paths.
const ntSeps = `\/`

// ntSplitDrive is Python 3.11's ntpath.splitdrive: "C:" of "C:\x", the
// "\\server\share" of a UNC path (also "\\?\UNC\server\share"), else "".
// drive+rest is p.
func ntSplitDrive(p string) (drive, rest string) {
	if len(p) < 2 {
		return "", p
	}
	norm := strings.ReplaceAll(p, "/", `\`)
	if norm[:2] == `\\` {
		start := 2
		if len(norm) >= 8 && strings.EqualFold(norm[:8], `\\?\UNC\`) {
			start = 8
		}
		i := strings.IndexByte(norm[start:], '\\')
		if i < 0 {
			return p, ""
		}
		i += start
		j := strings.IndexByte(norm[i+1:], '\\')
		if j < 0 {
			return p, ""
		}
		j += i + 1
		return p[:j], p[j:]
	}
	// The second character, as Python counts them.
	if _, n := utf8.DecodeRuneInString(norm); n < len(norm) && norm[n] == ':' {
		return p[:n+1], p[n+1:]
	}
	return "", p
}

// ntSplit is ntpath.split: the head (without trailing separators, unless
// it is all separators) and the last component.
func ntSplit(p string) (head, tail string) {
	d, rest := ntSplitDrive(p)
	i := len(rest)
	for i > 0 && !strings.ContainsRune(ntSeps, rune(rest[i-1])) {
		i--
	}
	head, tail = rest[:i], rest[i:]
	if h := strings.TrimRight(head, ntSeps); h != "" {
		head = h
	}
	return d + head, tail
}

// ntJoin is ntpath.join(a, b).
func ntJoin(a, b string) string {
	drive, path := ntSplitDrive(a)
	bDrive, bPath := ntSplitDrive(b)
	switch {
	case bPath != "" && strings.ContainsRune(ntSeps, rune(bPath[0])):
		// b is absolute.
		if bDrive != "" || drive == "" {
			drive = bDrive
		}
		path = bPath
	case bDrive != "" && bDrive != drive && !strings.EqualFold(bDrive, drive):
		// Another drive: a is dropped.
		drive, path = bDrive, bPath
	default:
		if bDrive != "" {
			drive = bDrive // the same drive in another case
		}
		if path != "" && !strings.ContainsRune(ntSeps, rune(path[len(path)-1])) {
			path += `\`
		}
		path += bPath
	}
	if path != "" && !strings.ContainsRune(ntSeps, rune(path[0])) && drive != "" && drive[len(drive)-1] != ':' {
		return drive + `\` + path
	}
	return drive + path
}
