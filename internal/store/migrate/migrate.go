// Package migrate reads the numbered schema migrations that each store back
// end embeds and decides which of them a database still needs. It runs no
// SQL itself: each back end applies the migrations in its own transaction.
//
// A migration is a file named NNNN_name.sql (for example 0001_init.sql).
// Numbers start at 1 and have no gaps. A migration, once released, is never
// edited: a change to the schema is a new file.
package migrate

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// Migration is one schema step.
type Migration struct {
	// Version is the number in the file name, from 1.
	Version int
	// Name is the file name without its number and extension ("init").
	Name string
	// SQL is the file's text; it may hold several statements.
	SQL string
}

// Load reads the migrations in dir of fsys, in version order. It rejects a
// file that is not named NNNN_name.sql, a repeated number and a gap.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m, err := parseName(e.Name())
		if err != nil {
			return nil, err
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		m.SQL = string(b)
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: want version %d (numbers start at 1, "+
				"without gaps or repeats)", m.Version, m.Name, i+1)
		}
	}
	return ms, nil
}

// parseName splits "0001_init.sql" into version 1 and name "init".
func parseName(file string) (Migration, error) {
	base, ok := strings.CutSuffix(file, ".sql")
	num, name, ok2 := strings.Cut(base, "_")
	if !ok || !ok2 || name == "" {
		return Migration{}, fmt.Errorf("migration %s: name is not NNNN_name.sql", file)
	}
	v, err := strconv.Atoi(num)
	if err != nil || v <= 0 {
		return Migration{}, fmt.Errorf("migration %s: name is not NNNN_name.sql", file)
	}
	return Migration{Version: v, Name: name}, nil
}

// Pending returns the migrations after version current (the highest one a
// database has applied; 0 for a new database). A current version beyond the
// last known migration gives an error wrapping store.ErrSchemaTooNew.
func Pending(ms []Migration, current int) ([]Migration, error) {
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].Version
	}
	if current > latest {
		return nil, fmt.Errorf("schema version %d, this binary knows up to %d: %w "+
			"(run the newer Vigil, or restore a backup)", current, latest, store.ErrSchemaTooNew)
	}
	return ms[current:], nil
}

// Latest returns the highest version in ms, 0 when there is none.
func Latest(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}
