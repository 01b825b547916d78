package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

const (
	auditVerifyUsage = "vigil audit verify [--data DIR | --store postgres --pg-dsn DSN]"
	auditListUsage   = "vigil audit list [--limit N] [--action A] [--data DIR | " +
		"--store postgres --pg-dsn DSN]"
)

// runAudit runs "vigil audit verify|list".
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return auditCommand(ctx, args, os.Getenv, stdout, stderr)
}

// auditCommand dispatches the audit subcommands; getenv reads VIGIL_DATA,
// VIGIL_STORE and VIGIL_PG_DSN.
func auditCommand(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage:\n  %s\n  %s\n", auditVerifyUsage, auditListUsage)
		return exitUsage
	}
	switch args[0] {
	case "verify":
		return auditVerify(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return auditList(ctx, args[1:], getenv, stdout, stderr)
	}
	fmt.Fprintf(stderr, "vigil audit: unknown command %q\nUsage:\n  %s\n  %s\n", args[0],
		auditVerifyUsage, auditListUsage)
	return exitUsage
}

// storeFlags are the flags that name an existing store.
type storeFlags struct {
	dataDir, kind, pgDSN *string
}

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		dataDir: fs.String("data", defaultDataDir, "folder of the SQLite store (env VIGIL_DATA)"),
		kind:    fs.String("store", "sqlite", "store back end: sqlite or postgres (env VIGIL_STORE)"),
		pgDSN: fs.String("pg-dsn", "", "PostgreSQL connection string for --store postgres "+
			"(env VIGIL_PG_DSN, preferred)"),
	}
}

// open opens the store the flags (else the environment) name. Unlike
// vigil serve it does not create a missing SQLite store.
func (sf storeFlags) open(ctx context.Context, fs *flag.FlagSet,
	getenv func(string) string) (store.Store, error) {
	return sf.openStore(ctx, fs, getenv, false)
}

// create is open, except that a missing SQLite store (and its data folder,
// 0700) is created, as vigil serve would: for commands that set a new data
// folder up, such as vigil user add before the first start.
func (sf storeFlags) create(ctx context.Context, fs *flag.FlagSet,
	getenv func(string) string) (store.Store, error) {
	return sf.openStore(ctx, fs, getenv, true)
}

func (sf storeFlags) openStore(ctx context.Context, fs *flag.FlagSet,
	getenv func(string) string, create bool) (store.Store, error) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	pick := func(name, env, value string) string {
		if v := getenv(env); !given[name] && v != "" {
			return v
		}
		return value
	}
	switch kind := pick("store", "VIGIL_STORE", *sf.kind); kind {
	case "postgres":
		dsn := pick("pg-dsn", "VIGIL_PG_DSN", *sf.pgDSN)
		if dsn == "" {
			return nil, errors.New("--store postgres needs --pg-dsn or VIGIL_PG_DSN")
		}
		return postgres.Open(ctx, dsn)
	case "sqlite":
		dir := pick("data", "VIGIL_DATA", *sf.dataDir)
		path := filepath.Join(dir, "vigil.db")
		if create {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create data folder: %w", err)
			}
		} else if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open sqlite store: %w", err)
		}
		return sqlite.Open(ctx, path, sqlite.WithReaders(1))
	default:
		return nil, fmt.Errorf("--store %q: want sqlite or postgres", kind)
	}
}

// auditVerify verifies the whole chain: exit 0 when intact, 1 when broken
// or unreadable.
func auditVerify(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) int {
	fs := newFlagSet("audit verify", auditVerifyUsage, stderr)
	sf := addStoreFlags(fs)
	if code, ok := parseAuditFlags(fs, args); !ok {
		return code
	}
	st, err := sf.open(ctx, fs, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "vigil audit verify: %v\n", err)
		return exitError
	}
	defer st.Close()

	rep, err := audit.VerifyChain(ctx, st)
	var ce *audit.ChainError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(stdout, "audit trail: chain BROKEN at seq %d", ce.Seq)
		if !ce.Time.IsZero() {
			fmt.Fprintf(stdout, " (%s, %s)", ce.Time.Format(time.RFC3339Nano), ce.Action)
		}
		fmt.Fprintf(stdout, ": %s", ce.Reason)
		if ce.Detail != "" {
			fmt.Fprintf(stdout, " (%s)", ce.Detail)
		}
		fmt.Fprintf(stdout, "\n%d entries before it are intact\n", rep.Entries)
		return exitError
	case err != nil:
		fmt.Fprintf(stderr, "vigil audit verify: %v\n", err)
		return exitError
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(stdout, "note: seq %d: %s\n", n.Seq, n.Text)
	}
	fmt.Fprintf(stdout, "audit trail: %d entries, chain intact (head seq %d, hash %s)\n",
		rep.Entries, rep.Head.Seq, rep.Head.Hash)
	return exitOK
}

// auditList prints the newest entries, one per line, newest first.
func auditList(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) int {
	fs := newFlagSet("audit list", auditListUsage, stderr)
	sf := addStoreFlags(fs)
	limit := fs.Int("limit", store.DefaultLimit,
		fmt.Sprintf("entries to print, at most %d", store.MaxLimit))
	action := fs.String("action", "", "only entries of this action (e.g. incident.opened)")
	if code, ok := parseAuditFlags(fs, args); !ok {
		return code
	}
	if *limit < 1 || *limit > store.MaxLimit {
		fmt.Fprintf(stderr, "vigil audit list: --limit %d: want 1 to %d\n", *limit,
			store.MaxLimit)
		return exitUsage
	}
	st, err := sf.open(ctx, fs, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "vigil audit list: %v\n", err)
		return exitError
	}
	defer st.Close()

	page, err := st.ListAudit(ctx, store.AuditFilter{Action: audit.Action(*action),
		Limit: *limit})
	if err != nil {
		fmt.Fprintf(stderr, "vigil audit list: %v\n", err)
		return exitError
	}
	for _, e := range page.Items {
		fmt.Fprintf(stdout, "%d\t%s\t%s %s\t%s\t%s/%s\t%s\n", e.Seq,
			e.Time.Format(time.RFC3339Nano), e.Code(), e.Action, e.Actor, e.ObjectType,
			e.ObjectID, e.Details)
	}
	return exitOK
}

// parseAuditFlags parses flags that take no positional argument; ok false
// means the command ends with code.
func parseAuditFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	rest, err := parseFlags(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	case err != nil:
		return exitUsage, false
	case len(rest) > 0:
		fmt.Fprintf(fs.Output(), "vigil %s: unexpected argument %q\n", fs.Name(), rest[0])
		return exitUsage, false
	}
	return 0, true
}
