#!/usr/bin/env bash
# Runs every test of sso-credproc, the end-to-end ones against a real Secret
# Service: a private D-Bus session with an unlocked gnome-keyring is started
# for the run and stopped after it. The callers nobody here wrote (AWS CLI v2,
# boto3, the Go and JavaScript SDKs, Chromium) are tested when installed;
# under CI (CI=true) a missing one fails its test (.ci/run installs them).
# Prints "tests: N passed, M failed, K skipped (the skipped tests)" last; a
# run in which no test ran fails. What the session bus and the keyring
# daemon print goes to a log file, named only when the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# go.mod's toolchain line (a Go with the standard library's security fixes)
# counts only under GOTOOLCHAIN=auto: a Go whose go.env says 'local' would
# build with its own standard library. A newer Go than that line stays.
case $(go env GOTOOLCHAIN) in local | '') export GOTOOLCHAIN=auto ;; esac

need=()
command -v dbus-run-session >/dev/null 2>&1 || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
command -v secret-tool >/dev/null 2>&1 || need+=(libsecret-tools)
if ((${#need[@]})); then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnome-keyring dbus libsecret-tools >/dev/null
	else
		echo "test.sh: error: missing ${need[*]} (needed for a real Secret Service)" >&2
		echo "test.sh: hint: sudo apt-get install -y gnome-keyring dbus libsecret-tools" >&2
		exit 1
	fi
fi

if [[ ${SSO_CREDPROC_IN_SESSION:-} != 1 ]]; then
	export SSO_CREDPROC_IN_SESSION=1
	# dbus-daemon, gnome-keyring-daemon and the services they start (GTK and
	# prompter warnings) write to the session's stderr: the log. The script
	# itself gets the terminal back on fd 3.
	SSO_CREDPROC_SESSION_LOG=$(mktemp "${TMPDIR:-/tmp}/sso-credproc-test-session.XXXXXX")
	export SSO_CREDPROC_SESSION_LOG
	exec 3>&2
	exec dbus-run-session -- "$PWD/scripts/test.sh" "$@" 2>>"$SSO_CREDPROC_SESSION_LOG"
fi
if { true >&3; } 2>/dev/null; then
	exec 2>&3 3>&-
fi
: "${SSO_CREDPROC_SESSION_LOG:=/dev/null}"

# Inside the private session bus: a throwaway keyring, unlocked. The
# daemon goes away with the bus when dbus-run-session ends.
export XDG_DATA_HOME XDG_RUNTIME_DIR
password=test-password
XDG_DATA_HOME=$(mktemp -d)
XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
trap 'rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"' EXIT
. scripts/lib.sh
start_keyring "$password" 2>>"$SSO_CREDPROC_SESSION_LOG"

race=()
if [[ $(go env CGO_ENABLED) == 1 ]] && command -v gcc >/dev/null 2>&1; then
	race=(-race)
fi
log=$(mktemp)
status=0
go test -count=1 "${race[@]}" -v -skip '^TestSecretServiceLocked$' "$@" ./... >"$log" 2>&1 || status=$?
# Locking the shared login keyring would break the tests running beside it,
# so the locked-keyring test runs on its own, after them.
SSO_CREDPROC_TEST_KEYRING_PASSWORD=$password go test -count=1 "${race[@]}" -v -run '^TestSecretServiceLocked$' ./keychain/ >>"$log" 2>&1 || status=$?
grep -E '^(ok|FAIL|\?|panic:)' "$log" || true
# The versions of the callers that ran ("caller version: …" in test logs).
sed -nE 's/^\s*[a-z_]+\.go:[0-9]+: caller version: (.*)$/caller: \1/p' "$log" | sort -u
passed=$(grep -cE '^\s*--- PASS' "$log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
skipped=$(grep -cE '^\s*--- SKIP' "$log" || true)
# "TestX (missing chromium)" for each skipped test, from its skip message
# (go test -v prints a test's messages before its --- line).
skips=$(awk '
	/^[ \t]*(=== |--- PASS|--- FAIL)/ { tool = "" }
	match($0, /missing tool: [^ ;(]+/) { tool = substr($0, RSTART + 14, RLENGTH - 14) }
	/^[ \t]*--- SKIP: / { list = list sep $3 (tool != "" ? " (missing " tool ")" : ""); sep = ", "; tool = "" }
	END { print list }' "$log")
if ((status != 0)); then
	echo "---- full output of the failed run ----"
	cat "$log"
	echo "---- the session bus and keyring daemon wrote to $SSO_CREDPROC_SESSION_LOG"
else
	rm -f "$SSO_CREDPROC_SESSION_LOG"
fi
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped${skips:+ ($skips)}"
if ((passed == 0)); then
	echo "test.sh: error: no test ran" >&2
	exit 1
fi
exit "$status"
