#!/usr/bin/env bash
# Runs every check and test of Vigil on a fresh machine: starts the services the
# tests need when they are not running (PostgreSQL), installs staticcheck, then
# gofmt, go vet, staticcheck and go test -race over every package.
# Set CI=true to make tests that need the shared corpus or a service fail,
# rather than skip, when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=v0.8.2

log() { printf '==> %s\n' "$*"; }

ensure_postgres() {
	if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
		return
	fi
	log "starting PostgreSQL"
	if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
	fi
	for _ in $(seq 1 60); do
		pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && return
		sleep 0.5
	done
	echo "PostgreSQL is not answering on 127.0.0.1:5432; the store suite needs it" >&2
	[ -n "${CI:-}" ] && exit 1
	return 0
}

# The browser test of the web UI drives Debian's chromium (headless).
ensure_chromium() {
	command -v chromium >/dev/null && return
	log "installing chromium for the browser test"
	if command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
			>/dev/null || true
	fi
	command -v chromium >/dev/null && return
	echo "chromium is missing; the browser test needs it" >&2
	[ -n "${CI:-}" ] && exit 1
	return 0
}

# The PDF exports are read back with Poppler's pdftotext and pdftoppm.
ensure_poppler() {
	command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && return
	log "installing poppler-utils for the PDF tests"
	if command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			poppler-utils >/dev/null || true
	fi
	command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && return
	echo "pdftotext or pdftoppm is missing; the PDF tests need poppler-utils" >&2
	[ -n "${CI:-}" ] && exit 1
	return 0
}

ensure_postgres
ensure_chromium
ensure_poppler

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi

log "go vet"
go vet ./...

log "staticcheck $STATICCHECK_VERSION"
GOBIN="$(go env GOPATH)/bin"
if ! "$GOBIN/staticcheck" -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
	go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
"$GOBIN/staticcheck" ./...

# Tests run verbose into a log so that skips are visible (a test that needs
# the corpus or a service skips with its reason when CI is unset); the log
# is summarised below.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
log "go test -race"
go test -race -count=1 -timeout 30m -v ./... "$@" >"$out" 2>&1 || status=$?

# The race detector makes sync.Pool drop items, so the allocation tests skip
# under -race; run them once more without it.
log "go test (allocation tests, without -race)"
go test -count=1 -v -run 'Allocs' ./internal/sigma/ >>"$out" 2>&1 || status=$?

# On failure, the whole log less the chatter of passing tests; always, the
# package results and every skip with its reason.
if [ "$status" -ne 0 ]; then
	grep -vE '^\s*(=== (RUN|PAUSE|CONT|NAME)|--- PASS)' "$out" || true
	echo
fi
grep -E '^(ok|FAIL|\?) ' "$out" || true
if grep -qE -- '--- SKIP' "$out"; then
	echo "skipped:"
	grep -E -B1 -- '--- SKIP' "$out" | grep -vE '^(--|=== .*|PASS|\s*--- PASS.*)$' || true
fi
pass=$(grep -cE '^\s*--- PASS' "$out" || true)
fail=$(grep -cE '^\s*--- FAIL' "$out" || true)
skip=$(grep -cE '^\s*--- SKIP' "$out" || true)
echo "tests: $pass passed, $fail failed, $skip skipped"
exit "$status"
