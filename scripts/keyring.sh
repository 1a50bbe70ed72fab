# Sourced by test.sh, demo.sh and bench.sh inside `dbus-run-session`:
# start_keyring PASSWORD starts a gnome-keyring Secret Service on the
# session bus with a throwaway keyring in $XDG_DATA_HOME, unlocked, and
# waits until it owns its bus name. (Asking the Secret Service itself too
# early would make D-Bus start a second, locked daemon.) The daemon goes
# away with the bus when dbus-run-session ends.
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
