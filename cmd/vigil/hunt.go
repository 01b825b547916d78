package main

import (
	"context"
	"fmt"
	"io"
)

// TODO: replaced by the hunt command.
func runHunt(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "vigil hunt: not built yet")
	return exitError
}

// TODO: replaced by the rules command.
func runRules(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "vigil rules: not built yet")
	return exitError
}
