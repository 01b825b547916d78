package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

const teamImportUsage = "vigil team import [--data DIR | --store postgres --pg-dsn DSN] FILE" +
	"\n\nFILE is a YAML directory of teams with their rosters (docs/team.md). A team that" +
	"\nexists is replaced by the file's version; others are created. Nothing is stored" +
	"\nwhen the file has an error, which names the file, the key and the line."

// runTeam runs "vigil team import".
func runTeam(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintf(stderr, "Usage: %s\n", teamImportUsage)
		return exitUsage
	}
	fs := newFlagSet("team import", teamImportUsage, stderr)
	sf := addStoreFlags(fs)
	rest, err := parseFlags(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(rest) != 1 {
		fmt.Fprintf(stderr, "vigil team import: want one FILE\nUsage: %s\n", teamImportUsage)
		return exitUsage
	}
	data, err := os.ReadFile(rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "vigil team import: %v\n", err)
		return exitError
	}
	teams, err := team.ParseTeams(data, rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "vigil team import: %v\n", err)
		return exitError
	}
	st, err := sf.open(ctx, fs, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "vigil team import: %v\n", err)
		return exitError
	}
	defer st.Close()
	created, updated, err := importTeams(ctx, st, teams)
	if err != nil {
		fmt.Fprintf(stderr, "vigil team import: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "%d teams created, %d updated from %s\n", created, updated, rest[0])
	return exitOK
}

// importTeams creates or replaces each team, recording team.created or
// team.updated as done by "system" in the team's transaction.
func importTeams(ctx context.Context, st store.Store, teams []team.Team) (created,
	updated int, err error) {
	log := audit.New(st, nil)
	for _, t := range teams {
		action := audit.TeamCreated
		cur, err := st.GetTeam(ctx, t.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err == nil:
			t.Version, action = cur.Version, audit.TeamUpdated
		default:
			return created, updated, fmt.Errorf("team %s: %w", t.ID, err)
		}
		err = st.Atomically(ctx, func(tx store.Tx) error {
			write := tx.UpdateTeam
			if action == audit.TeamCreated {
				write = tx.CreateTeam
			}
			if err := write(ctx, &t); err != nil {
				return err
			}
			details, err := json.Marshal(map[string]any{"version": t.Version, "via": "import",
				"shifts": len(t.Roster)})
			if err != nil {
				return err
			}
			return log.RecordIn(ctx, tx, audit.Entry{Actor: audit.SystemActor, Action: action,
				ObjectType: "team", ObjectID: t.ID, Details: details})
		})
		if err != nil {
			return created, updated, fmt.Errorf("team %s: %w", t.ID, err)
		}
		if action == audit.TeamCreated {
			created++
		} else {
			updated++
		}
	}
	return created, updated, nil
}

// loadWatchRules loads the incidents' active watch rules into a new extra
// rule set for the detection pipeline. A stored rule that no longer
// compiles is logged and skipped.
func loadWatchRules(ctx context.Context, st store.Store, log *slog.Logger) (*detect.ExtraRules,
	error) {
	watch := detect.NewExtraRules(nil)
	ws, err := st.ActiveWatchRules(ctx, time.Now())
	if err != nil {
		return nil, fmt.Errorf("load watch rules: %w", err)
	}
	for _, w := range ws {
		rule, err := w.Compile()
		if err != nil {
			log.Warn("watch rule skipped", "rule_id", w.RuleID, "incident_id", w.IncidentID,
				"err", err)
			continue
		}
		watch.Add(w.ID, rule, w.IncidentID, w.Expires)
	}
	log.Info("watch rules loaded", "count", watch.Len())
	return watch, nil
}
