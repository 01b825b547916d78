// Command vigil is the Vigil security incident detection and response
// platform: one binary with a subcommand per job. See the README.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes shared by all subcommands.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `Vigil: security incident detection and response.

Usage:
  vigil serve [--listen ADDR] [--data DIR] [--rules PATH]... [flags]
  vigil hunt --rules PATH [--rules PATH]... [--format table|ndjson] [flags] INPUT...|-
  vigil rules lint [flags] PATH...
  vigil logparse [--format csv] FILE...|-
  vigil audit verify|list [--data DIR | --store postgres --pg-dsn DSN] [flags]
  vigil user add --name NAME --role ROLE [--tenant T] [flags] < password
  vigil team import [--data DIR | --store postgres --pg-dsn DSN] FILE
  vigil inventory import|export [--data DIR | --store postgres --pg-dsn DSN] [--format yaml|csv]
  vigil regulations list|check [--catalog DIR [--extend]]
  vigil exercise run SCENARIO [--server URL] [--token TOKEN] [flags]
  vigil exercise report ID | vigil exercise list
  vigil training report [--server URL] [--token TOKEN] [--team T] [--format F]
  vigil version

Run "vigil COMMAND --help" for the flags of a command.
`

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "hunt":
		return runHunt(ctx, rest, stdin, stdout, stderr)
	case "rules":
		return runRules(ctx, rest, stdout, stderr)
	case "logparse":
		return runLogparse(ctx, rest, stdin, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, stdout, stderr)
	case "user":
		return runUser(ctx, rest, stdin, stdout, stderr)
	case "team":
		return runTeam(ctx, rest, stdout, stderr)
	case "inventory":
		return runInventory(ctx, rest, stdout, stderr)
	case "regulations":
		return runRegulations(ctx, rest, stdout, stderr)
	case "exercise":
		return runExercise(ctx, rest, os.Getenv, stdout, stderr)
	case "training":
		return runTraining(ctx, rest, os.Getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "vigil", version)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "vigil: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"
