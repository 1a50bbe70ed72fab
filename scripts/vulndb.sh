#!/usr/bin/env bash
# Prints the Go vulnerability database for `govulncheck -db`: https://vuln.go.dev
# when it answers within 10 s, else a file:// database that scripts/vulndb
# makes from a snapshot of the golang.org/x/vulndb module on the Go module
# proxy (once per snapshot, kept in ${XDG_CACHE_HOME:-~/.cache}/sso-credproc/vulndb).
#
# usage: scripts/vulndb.sh
#   SSO_CREDPROC_VULNDB_VERSION=latest scripts/vulndb.sh   (the proxy's newest snapshot
#   instead of the pinned one below; a pinned one keeps CI's verdict reproducible)
set -euo pipefail
cd "$(dirname "$0")/.."
# go.mod's toolchain line (a Go with the standard library's security fixes)
# counts only under GOTOOLCHAIN=auto: a Go whose go.env says 'local' would
# build with its own standard library. A newer Go than that line stays.
case $(go env GOTOOLCHAIN) in local | '') export GOTOOLCHAIN=auto ;; esac

# The snapshot of golang.org/x/vulndb used when vuln.go.dev cannot be
# reached; move it forward with the newest pseudo-version
# (go list -m golang.org/x/vulndb@latest, outside this module).
version=${SSO_CREDPROC_VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}

if command -v curl >/dev/null 2>&1 && curl -fsS -m 10 -o /dev/null https://vuln.go.dev/index/db.json.gz 2>/dev/null; then
	echo https://vuln.go.dev
	exit 0
fi
echo "vulndb: vuln.go.dev cannot be reached; using golang.org/x/vulndb@$version from the module proxy" >&2
go run ./scripts/vulndb -version "$version" -cache "${XDG_CACHE_HOME:-$HOME/.cache}/sso-credproc/vulndb"
