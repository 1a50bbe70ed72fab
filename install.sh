#!/bin/sh
# Builds sso-credproc with the Go toolchain and installs it into
# $PREFIX/bin (default ~/.local/bin), with sso-credproc-renew beside it (the
# part that talks to AWS; sso-credproc hands over to it when the keychain
# holds no fresh credentials). Safe to run again: each binary is replaced
# atomically.
set -eu

cd "$(dirname "$0")"
if ! command -v go >/dev/null 2>&1; then
	echo "install.sh: error: the Go toolchain (go) is not on PATH" >&2
	echo "install.sh: hint: install Go 1.26 or newer (https://go.dev/doc/install, or your package manager) and run ./install.sh again" >&2
	exit 1
fi
# go.mod's toolchain line (a Go with the standard library's security fixes)
# counts only under GOTOOLCHAIN=auto: a Go whose go.env says 'local' would
# build with its own standard library. A newer Go than that line stays.
case $(go env GOTOOLCHAIN) in local | '') export GOTOOLCHAIN=auto ;; esac

PREFIX=${PREFIX:-$HOME/.local}
bindir=$PREFIX/bin
mkdir -p "$bindir"
version=$(git describe --tags --always --dirty 2>/dev/null || echo devel)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
tmpdir=$(mktemp -d "$bindir/.sso-credproc-build.XXXXXX")
trap 'rm -rf "$tmpdir"' EXIT
# go build names the programs for the target (GOOS, as go env shows it):
# sso-credproc.exe and sso-credproc-renew.exe for Windows.
exe=$(go env GOEXE)
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/sso-credproc/sso-credproc/internal/cli.Version=$version -X github.com/sso-credproc/sso-credproc/internal/cli.Commit=$commit" \
	-o "$tmpdir/" ./cmd/sso-credproc ./cmd/sso-credproc-renew
# The helper first, so that a new sso-credproc never runs with an old one.
mv -f "$tmpdir/sso-credproc-renew$exe" "$bindir/sso-credproc-renew$exe"
mv -f "$tmpdir/sso-credproc$exe" "$bindir/sso-credproc$exe"
echo "installed $bindir/sso-credproc$exe and $bindir/sso-credproc-renew$exe ($version, $(go env GOOS)/$(go env GOARCH))"
case ":$PATH:" in
*":$bindir:"*) ;;
*) echo "note: $bindir is not on your PATH; add it, or use the full path in credential_process" ;;
esac
