#!/usr/bin/env bash
# Runs every fuzz target of the module (each func Fuzz* in a _test.go file,
# found per package with `go test -list`) for DURATION each, one after the
# other, with Go's native fuzzing. A target that finds a failing input fails
# the run: its output is printed with the input's path (go test writes it
# to the package's testdata/fuzz/<target>/, where it becomes a seed once
# committed) and the input itself. The corpus the fuzzer grows is kept in
# the Go build cache ($(go env GOCACHE)/fuzz), so later runs go on from it.
#
# usage: scripts/fuzz.sh [DURATION [REGEXP]]
#   DURATION  per target, as go test -fuzztime takes it: 20s (default), 5m, 1h30m
#   REGEXP    only the targets whose names match (grep -E), e.g. 'Chunk|Item'
set -euo pipefail
cd "$(dirname "$0")/.."
# go.mod's toolchain line (a Go with the standard library's security fixes)
# counts only under GOTOOLCHAIN=auto: a Go whose go.env says 'local' would
# build with its own standard library. A newer Go than that line stays.
case $(go env GOTOOLCHAIN) in local | '') export GOTOOLCHAIN=auto ;; esac

duration=${1:-20s}
only=${2:-.}
if [[ ! $duration =~ ^([0-9]+h)?([0-9]+m)?([0-9]+s)?$ || -z $duration ]]; then
	echo "fuzz: error: duration '$duration' is not like 20s, 5m or 1h30m" >&2
	echo "fuzz: hint: scripts/fuzz.sh 5m" >&2
	exit 2
fi
h=${BASH_REMATCH[1]%h} m=${BASH_REMATCH[2]%m} s=${BASH_REMATCH[3]%s}
secs=$((10#${h:-0} * 3600 + 10#${m:-0} * 60 + 10#${s:-0}))
# A run ends at the latest this long after it started fuzzing: the
# duration, plus room for the seeds and the kept corpus to be replayed.
deadline=$((secs + 300))s

# The packages whose test files declare a fuzz target; go test -list then
# names the targets that build on this OS.
targets=()
while read -r pkg dir files; do
	[[ -n $files ]] || continue
	(cd "$dir" && grep -qE '^func Fuzz[A-Za-z0-9_]*\(' $files) || continue
	while read -r name; do
		[[ $name == Fuzz* && $name =~ $only ]] && targets+=("$pkg $dir $name")
	done < <(go test -list '^Fuzz' "$pkg")
done < <(go list -f '{{.ImportPath}} {{.Dir}} {{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}' ./...)
if ((${#targets[@]} == 0)); then
	echo "fuzz: error: no fuzz target matches '$only'" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} targets, $duration each ($(go version | cut -d' ' -f3))"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=()
for t in "${targets[@]}"; do
	read -r pkg dir name <<<"$t"
	start=$(date +%s)
	if go test -run '^$' -fuzz "^$name\$" -fuzztime "$duration" -timeout "$deadline" "$pkg" >"$log" 2>&1; then
		execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -n 1 || true)
		echo "fuzz: ok   $name ($pkg) $(($(date +%s) - start)) s${execs:+, $execs}"
		continue
	fi
	failed+=("$name")
	echo "fuzz: FAIL $name ($pkg) after $(($(date +%s) - start)) s"
	sed 's/^/    /' "$log"
	# "Failing input written to testdata/fuzz/FuzzX/<hash>", relative to the package.
	input=$(sed -nE 's/^[[:space:]]*Failing input written to (.*)$/\1/p' "$log" | tail -n 1)
	if [[ -n $input ]]; then
		echo "fuzz: failing input: $dir/$input"
		echo "fuzz: re-run: go test -run '$name/${input##*/}' $pkg"
		echo "---- $dir/$input (first 4 KiB)"
		head -c 4096 "$dir/$input"
		echo
		echo "----"
	fi
done
if ((${#failed[@]})); then
	echo "fuzz: error: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} targets ran $duration each and found nothing"
