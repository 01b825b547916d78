package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
)

// runRegulationsList prints the regimes of the catalog: one line per
// stage, with whom to notify, the deadline rule and the trigger. The JSON
// format has everything, sources and authorities included.
func runRegulationsList(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("regulations list", regulationsListUsage, stderr)
	cf := addCatalogFlags(fs)
	format := fs.String("format", "table", "output format: table or json")
	rest, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(rest) > 0 || (*format != "table" && *format != "json") {
		fmt.Fprintf(stderr, "Usage: %s\n", regulationsListUsage)
		return exitUsage
	}
	c, err := cf.load()
	if err != nil {
		fmt.Fprintf(stderr, "vigil regulations list: %v\n(run vigil regulations check)\n", err)
		return exitError
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c.Regimes()); err != nil {
			fmt.Fprintf(stderr, "vigil regulations list: %v\n", err)
			return exitError
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGIME\tHOLDER\tSTAGE\tNOTIFY\tDEADLINE\tTRIGGER")
	for _, re := range c.Regimes() {
		for i, st := range re.Stages {
			notify := re.Notify
			if st.Notify != nil {
				notify = *st.Notify
			}
			id, holder, trigger := re.ID, re.Holder, re.Brief()
			if i > 0 {
				id, holder, trigger = "", "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", id, holder, st.ID, notify.Party,
				st.Brief(), trigger)
		}
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "vigil regulations list: %v\n", err)
		return exitError
	}
	return exitOK
}
