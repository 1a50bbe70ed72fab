#!/bin/sh
# Builds sso-credproc with the Go toolchain and installs it into
# $PREFIX/bin (default ~/.local/bin). Safe to run again: it replaces the
# binary atomically.
set -eu

cd "$(dirname "$0")"
if ! command -v go >/dev/null 2>&1; then
	echo "install.sh: error: the Go toolchain (go) is not on PATH" >&2
	echo "install.sh: hint: install Go 1.26 or newer (https://go.dev/doc/install, or your package manager) and run ./install.sh again" >&2
	exit 1
fi

PREFIX=${PREFIX:-$HOME/.local}
bindir=$PREFIX/bin
mkdir -p "$bindir"
version=$(git describe --tags --always --dirty 2>/dev/null || echo devel)
tmp="$bindir/.sso-credproc.$$"
trap 'rm -f "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/sso-credproc/sso-credproc/internal/cli.Version=$version" \
	-o "$tmp" ./cmd/sso-credproc
mv -f "$tmp" "$bindir/sso-credproc"
trap - EXIT
echo "installed $bindir/sso-credproc ($version)"
case ":$PATH:" in
*":$bindir:"*) ;;
*) echo "note: $bindir is not on your PATH; add it, or use the full path in credential_process" ;;
esac
