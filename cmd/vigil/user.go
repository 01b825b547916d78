package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

const userAddUsage = "vigil user add --name NAME --role ROLE [--role ROLE]... [--tenant T] " +
	"[--display-name N] [--email E] [--data DIR | --store postgres --pg-dsn DSN] " +
	"< password\n\nThe password is the first line of standard input (prompted for on a " +
	"terminal);\nwhen standard input is empty, a password is generated and printed once."

// runUser runs "vigil user add".
func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintf(stderr, "Usage: %s\n", userAddUsage)
		return exitUsage
	}
	return userAdd(ctx, args[1:], os.Getenv, stdin, stdout, stderr)
}

// userAdd creates a user; getenv reads VIGIL_DATA, VIGIL_STORE and
// VIGIL_PG_DSN.
func userAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader,
	stdout, stderr io.Writer) int {
	fs := newFlagSet("user add", userAddUsage, stderr)
	sf := addStoreFlags(fs)
	name := fs.String("name", "", "user name (required)")
	var roles stringList
	fs.Var(&roles, "role", "role (repeatable): "+strings.Join(auth.Roles, ", "))
	tenant := fs.String("tenant", "", "tenant, for the tenant-admin role only")
	display := fs.String("display-name", "", "display name")
	email := fs.String("email", "", "e-mail address")
	rest, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	u := &store.User{Name: *name, Roles: roles, Tenant: *tenant, DisplayName: *display,
		Email: *email}
	if len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	} else {
		err = auth.CheckUser(u)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil user add: %v\nUsage: %s\n", err, userAddUsage)
		return exitUsage
	}
	password, generated, err := readPassword(stdin, stderr)
	if err == nil {
		u.PasswordHash, err = auth.NewPasswords(auth.PasswordParams{}).Hash(password)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil user add: %v\n", err)
		return exitUsage
	}
	if err := createUser(ctx, sf, fs, getenv, u); err != nil {
		fmt.Fprintf(stderr, "vigil user add: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "user %s created (id %d, roles %s)\n", u.Name, u.ID,
		strings.Join(u.Roles, ","))
	if generated {
		fmt.Fprintf(stdout, "password (shown once, store it now): %s\n", password)
	}
	return exitOK
}

// createUser stores u and records user.created as done by "system", in one
// transaction.
func createUser(ctx context.Context, sf storeFlags, fs *flag.FlagSet,
	getenv func(string) string, u *store.User) error {
	st, err := sf.create(ctx, fs, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.Atomically(ctx, func(tx store.Tx) error {
		// checked in the transaction, so the tenant cannot go before the write
		if u.Tenant != "" {
			ok, err := tx.TenantExists(ctx, u.Tenant)
			if err != nil {
				return fmt.Errorf("read tenant %s: %w", u.Tenant, err)
			} else if !ok {
				return fmt.Errorf("tenant %q does not exist; create it first"+
					" (vigil inventory import or POST /api/v1/tenants)", u.Tenant)
			}
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		details, err := json.Marshal(map[string]any{"id": u.ID, "roles": u.Roles, "via": "cli"})
		if err != nil {
			return err
		}
		return audit.New(st, nil).RecordIn(ctx, tx, audit.Entry{Actor: audit.SystemActor,
			Action: audit.UserCreated, ObjectType: "user", ObjectID: u.Name, Tenant: u.Tenant,
			Details: details})
	})
	if errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("a user named %q exists", u.Name)
	}
	return err
}

// readPassword reads the password: prompted for without echo on a
// terminal, else the first line of stdin; an empty one is generated.
func readPassword(stdin io.Reader, stderr io.Writer) (string, bool, error) {
	var line string
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password (empty: generate one): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", false, fmt.Errorf("read password: %w", err)
		}
		line = string(b)
	} else {
		s, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("read password: %w", err)
		}
		line = strings.TrimRight(s, "\r\n")
	}
	if line != "" {
		return line, false, nil
	}
	p, err := auth.NewPassword()
	return p, true, err
}
