# Shell helpers sourced by test.sh, demo.sh and bench.sh (from the repo root).

# start_keyring PASSWORD, inside `dbus-run-session`: starts a gnome-keyring
# Secret Service on the session bus with a throwaway keyring in
# $XDG_DATA_HOME, unlocked, and waits until it owns its bus name. (Asking
# the Secret Service itself too early would make D-Bus start a second,
# locked daemon.) The daemon goes away with the bus when dbus-run-session
# ends.
start_keyring() {
	printf '%s' "$1" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
	local _
	for _ in $(seq 100); do
		dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus.GetNameOwner string:org.freedesktop.secrets >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "gnome-keyring did not start on the session bus" >&2
	return 1
}

# with_tmp: makes $tmp, and on exit stops what start_fake started and
# removes $tmp.
lib_pids=()
with_tmp() {
	tmp=$(mktemp -d)
	trap 'for p in "${lib_pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
}

# start_fake SSOFAKE: serves the fake IAM Identity Center on a loopback
# port in the background and sets $url to its base URL.
start_fake() {
	"$1" serve --addr 127.0.0.1:0 --url-file "$tmp/url" >/dev/null &
	lib_pids+=($!)
	local _
	for _ in $(seq 100); do [[ -s $tmp/url ]] && break; sleep 0.05; done
	url=$(cat "$tmp/url")
}
