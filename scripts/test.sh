#!/usr/bin/env bash
# test.sh: install what the tests need (Debian packages), then vet, run every test, and run each fuzz target
# briefly. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Logs go to a private directory, removed on exit, and so does every temporary file of the run (TMPDIR: the go
# command's work directories, cgo's compiler files, the tests' t.TempDir, Chromium's profiles): the run leaves
# nothing behind in /tmp.
work=$(mktemp -d "${TMPDIR:-/tmp}/pcapframe-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/tmp"
# Traversable by others (mktemp makes it 0700): TestSniffNoPermission runs the test binary as nobody from a
# directory inside TMPDIR.
chmod 755 "$work" "$work/tmp"
export TMPDIR="$work/tmp"

# apt_get runs apt-get, waiting up to APT_LOCK_WAIT seconds (default 300) for the package manager's locks when
# another process holds them (unattended-upgrades, another installation) and saying which process it waits for:
# each attempt lets apt wait a few seconds for the dpkg lock (DPkg::Lock::Timeout), then the lock's holder is
# printed and the command tried again, which covers the package lists' lock too.
apt_get() {
  local wait=${APT_LOCK_WAIT:-300} start rc held
  start=$(date +%s)
  while :; do
    rc=0
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=5 "$@" 2>"$work/apt.err" || rc=$?
    if [ "$rc" -eq 0 ]; then
      cat "$work/apt.err" >&2
      return 0
    fi
    if ! grep -qE 'Could not get lock|Unable to (acquire|lock)' "$work/apt.err"; then
      cat "$work/apt.err" >&2
      return "$rc"
    fi
    if [ $(($(date +%s) - start)) -ge "$wait" ]; then
      cat "$work/apt.err" >&2
      echo "test.sh: gave up waiting for the apt lock after ${wait}s (APT_LOCK_WAIT)" >&2
      return "$rc"
    fi
    held=$(grep -m1 -oE '/[^ ]*lock[^ ]*\. It is held by process [0-9]+( \([^)]*\))?|/[^ ]*lock[^ ]*' "$work/apt.err" | sed 's/\. It is held by/, held by/') || held="held by another process"
    echo "test.sh: apt-get $1 is waiting for the package manager's lock ($held): $(($(date +%s) - start))s of ${wait}s" >&2
    sleep 5
  done
}

# Debian packages the tests use: tshark (golden checks against Wireshark's dissection), chromium (the HTML
# report is opened in a real browser), iproute2 (network namespaces for live capture tests), python3-pandas
# (CSV files read back by pandas).
need=()
command -v tshark >/dev/null || need+=(tshark)
command -v chromium >/dev/null || need+=(chromium)
command -v ip >/dev/null || need+=(iproute2)
/usr/bin/python3 -c 'import pandas' 2>/dev/null || need+=(python3-pandas) # sink's CSV read back by pandas
command -v dns2tcpd >/dev/null || need+=(dns2tcp) # hunt/decode's TestDNS2TCPReal tunnels through the real tool
command -v iodined >/dev/null || need+=(iodine) # hunt/decode's TestIodineReal tunnels through the real tool
command -v ngircd >/dev/null || need+=(ngircd) # analyzer/files' TestDCCReal: an IRC server on loopback
command -v weechat-headless >/dev/null || need+=(weechat-headless weechat-plugins) # its two clients (DCC SEND)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test.sh: installing ${need[*]}"
  apt_get update -qq
  apt_get install -y -qq "${need[@]}" >/dev/null
fi

go version
test -z "$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt: these files need formatting:"; gofmt -l .; exit 1; }
go vet ./...
go test -count=1 -timeout 30m ./...

# The race detector over the code that runs goroutines: the parallel decode pipeline, the protocol tables'
# driver (its batch builders on queues), the files analyzer's digests beside the pass, the Parquet writers' encoder workers, the report's two DuckDB connections, and sniff's capture, write and
# table goroutines (live/sniff) with the progress line. -race with cgo DuckDB is slow, so in the packages that link it only the
# tests that exercise those goroutines run, and in sink the three long comparisons of whole files are
# left out (they run without -race above); TestManyInputsWorkers bounds memory, which -race inflates. The flow,
# stream and query packages start no goroutine (DuckDB's threads are C, which -race does not see). RACE=0 skips it.
if [ "${RACE:-1}" != 0 ]; then
  start=$(date +%s)
  go test -race -count=1 ./pipeline/... ./tables/...
  go test -race -count=1 -run 'TestDigester|TestAbort|TestDCC|TestThroughTables|TestFTPCapture' ./analyzer/files/
  go test -race -count=1 -skip 'TestDirectMatchesParquetGo|TestListParquetRoundTrip|TestListParquetDuckDB|NoAllocs' ./sink/...
  go test -race -count=1 -run 'TestCollect|TestStatsAsStats' ./internal/report/
  go test -race -count=1 -run 'TestSniff|TestProgress|TestInterrupt|TestFIFOInterrupt|TestStdinPipeInterrupt' ./internal/cli/
  go test -race -count=1 -run 'TestRunStops|TestRunDrops|TestRunFailures|TestRunProgress|TestRunFIFO|TestFileSourceInterrupt|TestRunLoopback' ./live/sniff/
  echo "race detector: $(($(date +%s) - start))s"
fi

# Each fuzz target for a few seconds (FUZZTIME, default 5s): crashers are written to testdata/fuzz and fail the run.
# Each package's test binary is built once with the fuzzing instrumentation (go test -c -fuzz) and runs each of its
# targets in the package's directory, as go test -fuzz would: a package that links DuckDB is linked once, not once
# per target.
fuzztime=${FUZZTIME:-5s}
grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //')
  bin="$work/fuzz-$(printf '%s' "$dir" | tr -c 'A-Za-z0-9' '_').test"
  if ! go test -c -fuzz "^$(printf '%s\n' "$targets" | head -1)\$" -o "$bin" "$dir" >"$work/fuzz-build.log" 2>&1; then
    cat "$work/fuzz-build.log"
    exit 1
  fi
  for target in $targets; do
    echo "fuzz $dir $target ($fuzztime)"
    if ! (cd "$dir" && "$bin" -test.run '^$' -test.fuzz "^${target}\$" -test.fuzztime "$fuzztime" -test.fuzzcachedir "$work/fuzzcache") >"$work/fuzz-$target.log" 2>&1; then
      # Go 1.26's fuzzing coordinator can report a bare "context deadline exceeded" when -fuzztime runs out while
      # a worker is busy (go.dev/issue/75804, fixed in Go 1.27): no input failed and none was written. Only that
      # case is let through, after the target's corpus is run once more as a plain test.
      if grep -q 'context deadline exceeded' "$work/fuzz-$target.log" && ! grep -qE 'Failing input written|panic:' "$work/fuzz-$target.log" \
        && [ "$(grep -c '^    ' "$work/fuzz-$target.log")" -le 1 ] && (cd "$dir" && "$bin" -test.run "^${target}\$") >/dev/null 2>&1; then
        echo "  (go.dev/issue/75804: the fuzzing coordinator's deadline race, no failing input; corpus passes)"
      else
        tail -30 "$work/fuzz-$target.log"
        exit 1
      fi
    fi
  done
  rm -f "$bin"
done
echo "fuzz targets passed"
