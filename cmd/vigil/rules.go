package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/vigilsec/vigil/internal/sigma"
)

const rulesUsage = "vigil rules lint [--logsources FILE] [--placeholders FILE] [--quiet] PATH..."

// runRules dispatches the rules subcommands; lint is the only one so far.
func runRules(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintf(stdout, "Usage: %s\n", rulesUsage)
		return exitOK
	}
	if len(args) == 0 || args[0] != "lint" {
		fmt.Fprintf(stderr, "Usage: %s\n", rulesUsage)
		return exitUsage
	}
	return runRulesLint(args[1:], stdout, stderr)
}

// runRulesLint loads every rule under the paths and lists each one that does
// not load, with file, line and reason. Exit 1 if any failed.
func runRulesLint(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("rules lint", rulesUsage, stderr)
	rf := addRuleFlags(fs, false)
	quiet := fs.Bool("quiet", false, "do not list skipped documents (correlation rules, filters)")
	paths, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(paths) == 0 {
		fmt.Fprintf(stderr, "vigil rules lint: name at least one rule file or folder\nUsage: %s\n",
			rulesUsage)
		return exitUsage
	}
	opts, _, err := rf.load()
	if err != nil {
		fmt.Fprintf(stderr, "vigil rules lint: %v\n", err)
		return exitError
	}
	rs, diags, err := sigma.Load(paths, opts)
	if err != nil {
		fmt.Fprintf(stderr, "vigil rules lint: %v\n", err)
		return exitError
	}
	failed, skipped := 0, 0
	for _, d := range diags {
		if d.Skipped {
			skipped++
			if !*quiet {
				fmt.Fprintf(stdout, "skipped: %v\n", d)
			}
			continue
		}
		failed++
		fmt.Fprintf(stdout, "error: %v\n", d)
	}
	loaded := len(rs.Rules())
	pct := 100.0
	if loaded+failed > 0 {
		pct = 100 * float64(loaded) / float64(loaded+failed)
	}
	fmt.Fprintf(stderr, "%s rules loaded, %d failed (%.2f%% loaded), %d skipped (correlation or filter)\n",
		group(int64(loaded)), failed, pct, skipped)
	if failed > 0 {
		return exitError
	}
	return exitOK
}
