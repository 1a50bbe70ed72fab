package awscli

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Write writes t to path as the AWS CLI writes its token files: the same
// fields in the same order (SSOTokenFetcher._create_token_attempt:
// startUrl, region, accessToken, expiresAt, clientId, clientSecret,
// registrationExpiresAt, refreshToken; the client fields only when
// t.ClientID is set, refreshToken only when set), the same bytes
// (json.dumps: ", " and ": " separators, non-ASCII as \uXXXX, no newline
// at the end), times as "%Y-%m-%dT%H:%M:%SZ" in UTC, truncated to the
// second.
//
// t needs StartURL, Region, AccessToken and ExpiresAt (botocore's
// SSOTokenProvider rewrites startUrl and region on refresh; readers need
// the other two), and, when ClientID is set, ClientSecret; otherwise Write
// returns an *Error wrapping ErrMalformed naming the field.
//
// The file is written whole or not at all: a temporary file in the same
// directory (mode 0600, as botocore's tempfile.mkstemp), synced, then
// renamed over path, as botocore since boto/botocore#3597
// (JSONFileCache.__setitem__, os.replace) and the Go SDK (storeCachedToken)
// do. (The AWS CLI v2's own
// JSONFileCache writes in place; it keeps the 0600 of a file Write made.) Missing directories are created
// with mode 0700 (botocore would use 0777 less the umask); an existing
// directory keeps its mode. An existing path is replaced only when it is a
// regular file owned by this user: a symbolic link, anything else, or a
// file of another user gives an *Error wrapping ErrRefused and is left as
// it is. The rename replaces the directory entry and never writes through
// a link, even one created after the check.
//
// On Windows the modes are not permissions: Go sets only the read-only
// attribute from them, and the file inherits the directory's ACL (a user
// profile is private to its user by default); no owner check is made. The
// rename fails while another program holds the file open without sharing
// delete access.
func Write(path string, t *Token) error {
	if t == nil {
		return &Error{Op: "write", Path: path, Err: fmt.Errorf("%w: no token", ErrMalformed)}
	}
	b, field, err := t.encode()
	if err != nil {
		return &Error{Op: "write", Path: path, Field: field, Err: err}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return osError("write", path, err)
	}
	if err := replaceable(path); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".sso-credproc-*.tmp")
	if err != nil {
		return osError("write", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return osError("write", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		return osError("write", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return osError("write", path, err)
	}
	if err := tmp.Close(); err != nil {
		return osError("write", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return osError("write", path, err)
	}
	done = true
	return nil
}

// replaceable checks that Write may replace path: it does not exist, or it
// is a regular file (not a link) of this user.
func replaceable(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return osError("write", path, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return &Error{Op: "write", Path: path, Err: fmt.Errorf("%w: it is a symbolic link", ErrRefused)}
	case !fi.Mode().IsRegular():
		return &Error{Op: "write", Path: path, Err: fmt.Errorf("%w: it is %s, not a regular file", ErrRefused, kind(fi.Mode()))}
	}
	if uid, ok := foreignOwner(fi); ok {
		return &Error{Op: "write", Path: path, Err: fmt.Errorf("%w: owned by another user (uid %d)", ErrRefused, uid)}
	}
	return nil
}

// Remove deletes path if, and only if, it is a regular file of this user
// (not a link) holding the access token ifAccessToken, which is what Write
// wrote there; it reports whether it removed it. A missing file, or one
// holding another token (the AWS CLI signed in again, or refreshed it), one
// that does not parse, or that changed while it was read is left alone:
// (false, nil). Errors are *Error: reading or removing failed, or
// ifAccessToken is "".
//
// The file is read and compared, then checked to be the same file (device
// and inode, size, modification time) just before it is removed; a writer
// that replaces it within that instant is not detected.
func Remove(path, ifAccessToken string) (bool, error) {
	if ifAccessToken == "" {
		return false, &Error{Op: "remove", Path: path, Field: fieldAccessToken, Err: errors.New("no access token to compare with")}
	}
	before, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, osError("remove", path, err)
	}
	if !before.Mode().IsRegular() {
		return false, nil
	}
	if _, ok := foreignOwner(before); ok {
		return false, nil
	}
	b, read, err := readOpen(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, osError("remove", path, err)
	}
	t, _, err := decode(b)
	if err != nil || subtle.ConstantTimeCompare([]byte(t.AccessToken), []byte(ifAccessToken)) != 1 {
		return false, nil
	}
	if testHookBeforeRemove != nil {
		testHookBeforeRemove()
	}
	after, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, osError("remove", path, err)
	}
	if !sameFile(before, read) || !sameFile(read, after) {
		return false, nil
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, osError("remove", path, err)
	}
	return true, nil
}

// testHookBeforeRemove runs, in tests, between Remove's read and its last
// check.
var testHookBeforeRemove func()

// readOpen reads path (at most MaxFileSize+1 bytes) and returns what the
// open file's Stat said; the file is closed before it returns, so that it
// can be removed on Windows.
func readOpen(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.OpenFile(path, openReadFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > MaxFileSize {
		return nil, fi, nil // decode fails on nil: not ours
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, err
	}
	return b, fi, nil
}

func sameFile(a, b fs.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// encode renders t as botocore's json.dumps would render the dict that
// SSOTokenFetcher._create_token_attempt builds.
func (t *Token) encode() ([]byte, string, error) {
	for _, f := range []struct{ name, v string }{
		{fieldStartURL, t.StartURL},
		{fieldRegion, t.Region},
		{fieldAccessToken, t.AccessToken},
	} {
		if f.v == "" {
			return nil, f.name, fmt.Errorf("%w: missing", ErrMalformed)
		}
	}
	if t.ExpiresAt.IsZero() {
		return nil, fieldExpiresAt, fmt.Errorf("%w: missing", ErrMalformed)
	}
	if t.ClientID != "" && t.ClientSecret == "" {
		return nil, fieldClientSecret, fmt.Errorf("%w: missing (clientId is set)", ErrMalformed)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	add := func(k, v string) {
		if b.Len() > 1 {
			b.WriteString(", ")
		}
		pyString(&b, k)
		b.WriteString(": ")
		pyString(&b, v)
	}
	add(fieldStartURL, t.StartURL)
	add(fieldRegion, t.Region)
	add(fieldAccessToken, t.AccessToken)
	add(fieldExpiresAt, t.ExpiresAt.UTC().Format(timeFormat))
	if t.ClientID != "" {
		add(fieldClientID, t.ClientID)
		add(fieldClientSecret, t.ClientSecret)
		if !t.RegistrationExpiresAt.IsZero() {
			add(fieldRegistrationExpiresAt, t.RegistrationExpiresAt.UTC().Format(timeFormat))
		}
	}
	if t.RefreshToken != "" {
		add(fieldRefreshToken, t.RefreshToken)
	}
	b.WriteByte('}')
	return b.Bytes(), "", nil
}

// pyString writes s as a JSON string the way Python's json.dumps does with
// ensure_ascii=True (py_encode_basestring_ascii): `"` and `\` escaped,
// \n \r \t \b \f by name, every other character outside " "…"~" as \uXXXX
// in lowercase hex, as a surrogate pair above U+FFFF. Invalid UTF-8 becomes
// U+FFFD (a Python str cannot hold it).
func pyString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			writeU(b, 0xd800|(r>>10)&0x3ff)
			writeU(b, 0xdc00|r&0x3ff)
		default:
			writeU(b, r)
		}
	}
	b.WriteByte('"')
}

func writeU(b *bytes.Buffer, r rune) {
	h := strconv.FormatInt(int64(r), 16)
	b.WriteString(`\u`)
	for i := len(h); i < 4; i++ {
		b.WriteByte('0')
	}
	b.WriteString(h)
}
