package main

import (
	"context"
	"fmt"
	"io"
)

// TODO: replaced by the serve command.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "vigil serve: not built yet")
	return exitError
}
