package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/vigilsec/vigil/internal/regulation"
)

const (
	regulationsListUsage  = "vigil regulations list [--catalog DIR [--extend]] [--format table|json]"
	regulationsCheckUsage = "vigil regulations check [--catalog DIR [--extend]]"
)

// runRegulations dispatches "vigil regulations list|check".
func runRegulations(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintf(stdout, "Usage:\n  %s\n  %s\n", regulationsListUsage, regulationsCheckUsage)
		return exitOK
	}
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage:\n  %s\n  %s\n", regulationsListUsage, regulationsCheckUsage)
		return exitUsage
	}
	switch args[0] {
	case "list":
		return runRegulationsList(args[1:], stdout, stderr)
	case "check":
		return runRegulationsCheck(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "vigil regulations: unknown command %q\nUsage:\n  %s\n  %s\n", args[0],
		regulationsListUsage, regulationsCheckUsage)
	return exitUsage
}

// catalogFlags name the regulation catalog to use: the built-in one, a
// folder that replaces it, or a folder laid over it.
type catalogFlags struct {
	dir    *string
	extend *bool
}

func addCatalogFlags(fs *flag.FlagSet) catalogFlags {
	return catalogFlags{
		dir: fs.String("catalog", "", "catalog folder (regimes/, holidays/, notices/) that "+
			"replaces the built-in catalog"),
		extend: fs.Bool("extend", false, "lay --catalog over the built-in catalog instead of "+
			"replacing it"),
	}
}

// load returns the catalog the flags name; on faults, the catalog of what
// loaded and an error listing every fault.
func (cf catalogFlags) load() (*regulation.Catalog, error) {
	switch {
	case *cf.dir == "" && *cf.extend:
		return nil, fmt.Errorf("--extend needs --catalog DIR")
	case *cf.dir == "":
		return regulation.Builtin()
	case *cf.extend:
		base, err := regulation.Builtin()
		if err != nil {
			return nil, err
		}
		return base.ExtendDir(*cf.dir)
	}
	return regulation.LoadDir(*cf.dir)
}
