#!/usr/bin/env bash
# A local stand-in for IAM Identity Center: starts the fake (internal/cmd/ssofake) on
# 127.0.0.1, writes a throwaway AWS config pointing at it, and runs
# sso-credproc twice — a sign-in through a $BROWSER that approves for you,
# then a cached call that makes no request. Nothing of yours is touched but
# items of service "sso-credproc" in your keychain (for a fake start URL).
set -euo pipefail
cd "$(dirname "$0")/.."
# go.mod's toolchain line (a Go with the standard library's security fixes)
# counts only under GOTOOLCHAIN=auto: a Go whose go.env says 'local' would
# build with its own standard library. A newer Go than that line stays.
case $(go env GOTOOLCHAIN) in local | '') export GOTOOLCHAIN=auto ;; esac

if [[ -z ${DBUS_SESSION_BUS_ADDRESS:-} && ${SSO_CREDPROC_DEMO_BUS:-} != 1 ]]; then
	if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
		echo "demo: no D-Bus session; using a throwaway gnome-keyring"
		export SSO_CREDPROC_DEMO_BUS=1
		exec dbus-run-session -- "$PWD/scripts/demo.sh" "$@"
	fi
	echo "demo: error: no Secret Service (no D-Bus session bus)" >&2
	echo "demo: hint: sudo apt-get install -y gnome-keyring dbus, then run ./scripts/demo.sh again" >&2
	exit 1
fi
. scripts/lib.sh
with_tmp
if [[ ${SSO_CREDPROC_DEMO_BUS:-} == 1 ]]; then
	export XDG_DATA_HOME=$tmp/data
	mkdir -p "$XDG_DATA_HOME"
	start_keyring demo
fi

echo "demo: building"
CGO_ENABLED=0 go build -trimpath -o "$tmp/bin/" ./cmd/sso-credproc ./cmd/sso-credproc-renew ./internal/cmd/ssofake
start_fake "$tmp/bin/ssofake"
echo "demo: fake IAM Identity Center at $url"

cat >"$tmp/config" <<CONFIG
[profile demo]
credential_process = $tmp/bin/sso-credproc --profile demo-sso
region = us-east-1

[profile demo-sso]
sso_session = sso-credproc-demo
sso_account_id = 111122223333
sso_role_name = DemoRole

[sso-session sso-credproc-demo]
sso_start_url = $url/start
sso_region = us-east-1
CONFIG
export AWS_CONFIG_FILE=$tmp/config
export AWS_ENDPOINT_URL_SSO_OIDC=$url AWS_ENDPOINT_URL_SSO=$url
export BROWSER="$tmp/bin/ssofake browse"

echo
echo "demo: \$ sso-credproc --profile demo-sso        # first call: signs in"
"$tmp/bin/sso-credproc" --profile demo-sso
echo
echo "demo: \$ sso-credproc --profile demo-sso        # second call: from the cache (kernel keyring, else keychain)"
start=$(date +%s%N)
"$tmp/bin/sso-credproc" --profile demo-sso
echo "demo: took $(( ($(date +%s%N) - start) / 1000000 )) ms"
echo
echo "demo: calls the fake IAM Identity Center received: $("$tmp/bin/ssofake" counts "$url")"
if command -v aws >/dev/null; then
	echo
	echo "demo: \$ aws configure list --profile demo    # the AWS CLI through credential_process"
	aws configure list --profile demo || true
fi
echo
echo "demo: \$ sso-credproc logout --profile demo-sso  # removes what the demo stored (keychain, kernel keyring)"
"$tmp/bin/sso-credproc" logout --profile demo-sso || true
