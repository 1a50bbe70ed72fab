#!/usr/bin/env bash
# Benchmark of the warm path: prints, from one run on this machine, the
# latency (median, p95) of `sso-credproc --profile X` with cached
# credentials — served from the fast cache (the kernel keyring, on Linux),
# and with the fast cache off from a real Secret Service (gnome-keyring on a
# private session bus) — of a Go program that only prints a fixed
# credential JSON (the floor), and — when the AWS CLI v2 is installed — of
# `aws configure export-credentials` on its own cached SSO credentials;
# the ratios, peak RSS, and the wall time of 32 simultaneous warm copies.
#
# usage: scripts/bench.sh [-n RUNS]   (default 200)
#        SSO_CREDPROC_BENCH_BASELINE=REV scripts/bench.sh   (also times REV's warm path)
set -euo pipefail
cd "$(dirname "$0")/.."
# go.mod's toolchain line (a Go with the standard library's security fixes)
# counts only under GOTOOLCHAIN=auto: a Go whose go.env says 'local' would
# build with its own standard library. A newer Go than that line stays.
case $(go env GOTOOLCHAIN) in local | '') export GOTOOLCHAIN=auto ;; esac

if [[ ${SSO_CREDPROC_BENCH_BUS:-} != 1 ]]; then
	for c in dbus-run-session gnome-keyring-daemon dbus-send; do
		command -v "$c" >/dev/null || { echo "bench: error: $c is missing; hint: apt-get install -y gnome-keyring dbus" >&2; exit 1; }
	done
	export SSO_CREDPROC_BENCH_BUS=1
	exec dbus-run-session -- "$PWD/scripts/bench.sh" "$@" 2> >(grep -v 'Failed to set fd limit' >&2)
fi

. scripts/lib.sh
with_tmp
echo "bench: building (CGO_ENABLED=0 -trimpath, as install.sh does)"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/bin/" ./cmd/sso-credproc ./cmd/sso-credproc-renew ./internal/cmd/ssofake ./scripts/bench/floor ./scripts/bench/driver
gover=$(go version | cut -d' ' -f3)
export HOME=$tmp/home XDG_DATA_HOME=$tmp/data XDG_RUNTIME_DIR=$tmp/run XDG_CACHE_HOME=$tmp/cache
mkdir -p "$HOME/.aws" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
start_keyring bench

start_fake "$tmp/bin/ssofake"

# The kernel keyring is the user's, shared with every other run of this
# script: an sso-session name of this run's own keeps their keys apart.
session=bench-$$
cat >"$HOME/.aws/config" <<CONFIG
[profile bench-sso]
sso_session = $session
sso_account_id = 111122223333
sso_role_name = Developer

[sso-session $session]
sso_start_url = $url/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
CONFIG
export AWS_CONFIG_FILE=$HOME/.aws/config AWS_ENDPOINT_URL_SSO_OIDC=$url AWS_ENDPOINT_URL_SSO=$url
export BROWSER="$tmp/bin/ssofake browse"
"$tmp/bin/sso-credproc" --profile bench-sso >/dev/null 2>&1 # sign in once: the rest is the warm path
if "$tmp/bin/sso-credproc" --profile bench-sso --debug 2>&1 >/dev/null | grep -q 'from the fast cache'; then
	fast="the kernel keyring"
else
	fast="none: $("$tmp/bin/sso-credproc" --profile bench-sso --debug 2>&1 >/dev/null | grep -m1 'fast cache' || echo "not on $(uname -s)")"
fi

cmds=("floor=$tmp/bin/floor"
	"sso-credproc=SSO_CREDPROC_FAST_CACHE=1 $tmp/bin/sso-credproc --profile bench-sso"
	"sso-credproc-keychain-only=SSO_CREDPROC_FAST_CACHE=0 $tmp/bin/sso-credproc --profile bench-sso")

# SSO_CREDPROC_BENCH_BASELINE=REV adds the warm path of sso-credproc as
# built from git revision REV, timed in the same run (same keychain items).
if [[ -n ${SSO_CREDPROC_BENCH_BASELINE:-} ]]; then
	git worktree add --detach -q "$tmp/base" "$SSO_CREDPROC_BENCH_BASELINE"
	(cd "$tmp/base" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/base-bin/" ./cmd/sso-credproc ./cmd/sso-credproc-renew)
	git worktree remove --force "$tmp/base"
	cmds+=("sso-credproc@$SSO_CREDPROC_BENCH_BASELINE=SSO_CREDPROC_FAST_CACHE=1 $tmp/base-bin/sso-credproc --profile bench-sso")
fi

# The AWS CLI v2, from its own caches (token and role credentials) written
# in its file layout, so that it makes no request either.
awsv2=""
for c in $(type -ap aws) /usr/bin/aws /usr/local/bin/aws; do
	if [[ -x $c ]] && "$c" --version 2>/dev/null | grep -q '^aws-cli/2'; then awsv2=$c; break; fi
done
if [[ -n $awsv2 ]]; then
	cat >>"$HOME/.aws/config" <<CONFIG

[profile cli-sso]
sso_session = $session
sso_account_id = 111122223333
sso_role_name = Developer
CONFIG
	mkdir -p "$HOME/.aws/sso/cache" "$HOME/.aws/cli/cache"
	exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	reg=$(date -u -d '+80 days' +%Y-%m-%dT%H:%M:%SZ)
	tok=$(printf '%s' "$session" | sha1sum | cut -d' ' -f1)
	printf '{"startUrl": "%s/start", "region": "us-east-1", "accessToken": "bench-access-token", "expiresAt": "%s", "clientId": "c", "clientSecret": "s", "registrationExpiresAt": "%s", "refreshToken": "r"}' "$url" "$exp" "$reg" >"$HOME/.aws/sso/cache/$tok.json"
	role=$(printf '{"accountId":"111122223333","roleName":"Developer","sessionName":"%s"}' "$session" | sha1sum | cut -d' ' -f1)
	printf '{"ProviderType": "sso", "Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret", "SessionToken": "token", "Expiration": "%s"}}' "$exp" >"$HOME/.aws/cli/cache/$role.json"
	if "$awsv2" configure export-credentials --profile cli-sso --format process >/dev/null 2>"$tmp/aws.err"; then
		cmds+=("aws-cli-v2#20=$awsv2 configure export-credentials --profile cli-sso --format process")
	else
		echo "bench: the AWS CLI v2 ($("$awsv2" --version)) could not read its cache: $(head -c 300 "$tmp/aws.err")" >&2
	fi
else
	echo "bench: no AWS CLI v2 (Debian package awscli); its row is left out"
fi

echo "bench: $(nproc) cores, $(uname -sr), $gover, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime); fast cache: $fast"
status=0
"$tmp/bin/driver" "$@" "${cmds[@]}" || status=$?
echo "bench: load average at the end $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
# Remove this run's kernel keyring copy (it would expire with the
# credentials anyway).
"$tmp/bin/sso-credproc" logout --profile bench-sso >/dev/null 2>&1 || true
exit $status
