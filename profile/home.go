package profile

import "os"

// HomeDir returns the home directory that the AWS CLI would use for
// ~/.aws: HOME, then on Windows USERPROFILE, then the account's home
// (os.UserHomeDir); "" when none is known. env is os.Getenv when nil. It
// is the rule ConfigPath uses for ~/.aws/config, so that sso-credproc finds
// ~/.aws/sso/cache next to the config it read.
//
// Python's os.path.expanduser, which botocore uses, ignores HOME on Windows
// since Python 3.8 (USERPROFILE, then HOMEDRIVE+HOMEPATH); the Go SDK uses
// USERPROFILE there. The two differ only when HOME is set on Windows.
func HomeDir(env func(string) string) string {
	if env == nil {
		env = os.Getenv
	}
	return homeDir(env)
}
