package awscli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// MaxFileSize is the largest cache file Read accepts, in bytes. The AWS
// CLI's files are about 2 KB; a larger one is refused before it is parsed.
const MaxFileSize = 64 << 10

var (
	// ErrMalformed: the file (or the Token given to Write) is not a token
	// in the AWS CLI's format. The *Error that wraps it names the field.
	ErrMalformed = errors.New("malformed")
	// ErrRefused: Write will not replace the file: it is a symbolic link,
	// not a regular file, or owned by another user.
	ErrRefused = errors.New("refused")
)

// Error is a failure on one cache file. It names the file and, when the
// problem is one field, that field; it never carries a value from the file.
// Err is ErrMalformed, ErrRefused or the operating system's error (a not
// found one matches fs.ErrNotExist).
type Error struct {
	Op    string // "read", "write" or "remove"
	Path  string
	Field string // the JSON field; "" for the file as a whole
	Err   error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s AWS CLI SSO cache file %s", e.Op, e.Path)
	if e.Field != "" {
		s += fmt.Sprintf(": field %q", e.Field)
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// osError keeps the operating system's error without the *fs.PathError
// around it, whose text would repeat the path.
func osError(op, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &Error{Op: op, Path: path, Err: err}
}

func malformed(op, path, field, format string, args ...any) error {
	return &Error{Op: op, Path: path, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)}
}

// Read reads a cache file the AWS CLI (or another SDK, or Write) wrote. It
// follows a symbolic link, as botocore does.
//
// The file must be a JSON object of at most MaxFileSize bytes with a
// non-empty string accessToken and an expiresAt timestamp, which is what
// botocore's SSOTokenLoader and the Go SDK's loadCachedToken require.
// startUrl, region, clientId, clientSecret, registrationExpiresAt and
// refreshToken are optional; when present they must be strings (""
// counts as absent), the two times timestamps. Other fields are ignored
// (newer writers add some, such as receivedAt).
//
// Timestamps are RFC 3339 ("2024-05-01T12:00:00Z", with or without a
// fraction of a second or an offset: botocore, the Go, JavaScript and Java
// SDKs), or "2024-05-01T12:00:00UTC", which botocore's
// JSONFileCache._serialize_if_needed ("%Y-%m-%dT%H:%M:%S%Z") and tools built
// on its SSOTokenFetcher write. They are returned in UTC.
//
// Errors are *Error: a missing file matches fs.ErrNotExist, a malformed
// one ErrMalformed (naming the field). An expired token is no error: see
// Token.Valid. The AWS CLI rewrites its files in place, so a Read at the
// moment `aws sso login` writes may see a partial file, which is
// malformed; reading again a moment later sees the whole file.
func Read(path string) (*Token, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	t, field, err := decode(b)
	if err != nil {
		return nil, &Error{Op: "read", Path: path, Field: field, Err: err}
	}
	return t, nil
}

// readFile reads at most MaxFileSize bytes of a regular file. A FIFO is
// opened without blocking (openReadFlags) and refused.
func readFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, openReadFlags, 0)
	if err != nil {
		return nil, osError("read", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, osError("read", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, malformed("read", path, "", "it is %s, not a regular file", kind(fi.Mode()))
	}
	if fi.Size() > MaxFileSize {
		return nil, malformed("read", path, "", "%d bytes, more than the %d a token file can hold", fi.Size(), MaxFileSize)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, osError("read", path, err)
	}
	if len(b) > MaxFileSize {
		return nil, malformed("read", path, "", "more than the %d bytes a token file can hold", MaxFileSize)
	}
	return b, nil
}

// kind names a file type for errors.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	default:
		return "not a regular file"
	}
}

// decode parses a cache file's bytes. On error it returns the field at
// fault ("" for the file as a whole) and an error wrapping ErrMalformed
// whose text holds no value from b.
func decode(b []byte) (*Token, string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, "", fmt.Errorf("%w: not JSON (syntax error at byte %d)", ErrMalformed, se.Offset)
		case errors.As(err, &te):
			return nil, "", fmt.Errorf("%w: not a JSON object but %s", ErrMalformed, jsonKind(b))
		default:
			return nil, "", fmt.Errorf("%w: not a JSON object", ErrMalformed)
		}
	}
	if fields == nil { // the file is `null`
		return nil, "", fmt.Errorf("%w: not a JSON object but null", ErrMalformed)
	}
	t := &Token{}
	for _, f := range []struct {
		name     string
		dst      *string
		required bool
	}{
		{fieldStartURL, &t.StartURL, false},
		{fieldRegion, &t.Region, false},
		{fieldAccessToken, &t.AccessToken, true},
		{fieldClientID, &t.ClientID, false},
		{fieldClientSecret, &t.ClientSecret, false},
		{fieldRefreshToken, &t.RefreshToken, false},
	} {
		if err := stringField(fields, f.name, f.dst, f.required); err != nil {
			return nil, f.name, err
		}
	}
	for _, f := range []struct {
		name     string
		dst      *time.Time
		required bool
	}{
		{fieldExpiresAt, &t.ExpiresAt, true},
		{fieldRegistrationExpiresAt, &t.RegistrationExpiresAt, false},
	} {
		var s string
		if err := stringField(fields, f.name, &s, f.required); err != nil {
			return nil, f.name, err
		}
		if s == "" {
			continue
		}
		tm, ok := parseTime(s)
		if !ok {
			return nil, f.name, fmt.Errorf("%w: not a timestamp like 2006-01-02T15:04:05Z", ErrMalformed)
		}
		*f.dst = tm
	}
	return t, "", nil
}

// stringField sets *dst to the string field name of fields. A missing
// field, or "", is an error when required and leaves *dst "" otherwise.
func stringField(fields map[string]json.RawMessage, name string, dst *string, required bool) error {
	raw, ok := fields[name]
	if !ok {
		if required {
			return fmt.Errorf("%w: missing", ErrMalformed)
		}
		return nil
	}
	if kind := jsonKind(raw); kind != "a string" {
		return fmt.Errorf("%w: want a string, got %s", ErrMalformed, kind)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%w: not a valid JSON string", ErrMalformed)
	}
	if *dst == "" && required {
		return fmt.Errorf("%w: empty", ErrMalformed)
	}
	return nil
}

// jsonKind names the kind of a JSON value from its first byte, for errors
// that must not quote it.
func jsonKind(raw []byte) string {
	s := strings.TrimLeft(string(raw), " \t\r\n")
	if s == "" {
		return "nothing"
	}
	switch s[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// timeFormat is how botocore writes expiresAt and registrationExpiresAt:
// _serialize_utc_timestamp's "%Y-%m-%dT%H:%M:%SZ", in UTC, whole seconds
// (aws-cli v2 awscli/customizations/sso/utils.py, botocore/tokens.py).
const timeFormat = "2006-01-02T15:04:05Z"

// parseTime accepts RFC 3339 (which includes timeFormat) and botocore's
// older "%Y-%m-%dT%H:%M:%S%Z" for a UTC datetime ("…T12:00:00UTC").
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	if rest, ok := strings.CutSuffix(s, "UTC"); ok {
		if t, err := time.Parse("2006-01-02T15:04:05", rest); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
