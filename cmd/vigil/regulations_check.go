package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/vigilsec/vigil/internal/regulation"
)

// runRegulationsCheck loads and checks a regulation catalog and lists each
// fault with file, line and field. Exit 1 if any.
func runRegulationsCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("regulations check", regulationsCheckUsage, stderr)
	cf := addCatalogFlags(fs)
	rest, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "Usage: %s\n", regulationsCheckUsage)
		return exitUsage
	}
	c, err := cf.load()
	var faults regulation.Errors
	switch {
	case errors.As(err, &faults):
		for _, f := range faults {
			fmt.Fprintf(stdout, "error: %v\n", f)
		}
	case err != nil:
		fmt.Fprintf(stderr, "vigil regulations check: %v\n", err)
		return exitError
	}
	if c != nil {
		fmt.Fprintf(stderr, "%s, %s, %s loaded; %s\n",
			plural(int64(len(c.Regimes())), "regime"),
			plural(int64(len(c.Calendars())), "holiday calendar"),
			plural(int64(len(c.Templates())), "notice template"),
			plural(int64(len(faults)), "error"))
	}
	if len(faults) > 0 {
		return exitError
	}
	return exitOK
}
