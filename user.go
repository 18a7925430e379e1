package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"imagerepo/gallery"
	"imagerepo/store"
)

// runUser is `imagerepo user add NAME [--admin] [--data DIR]`: it adds an
// account to the data dir of a stopped server, with the password read
// from standard input (or asked for twice, without echo, on a terminal).
func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: imagerepo user add NAME [--admin] [--data DIR]")
		return 2
	}
	fs := flag.NewFlagSet("imagerepo user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./imagerepo-data", "data directory")
	admin := fs.Bool("admin", false, "make the account an admin")
	// The name may come before or after the flags.
	var name string
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = rest[0], rest[1:]
	}
	if code, ok := parseCommand(fs, rest, stderr); !ok {
		return code
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 || name == "" {
		fmt.Fprintln(stderr, "usage: imagerepo user add NAME [--admin] [--data DIR]")
		return 2
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	}
	db, err := store.Open(*dataDir, store.Options{})
	if err != nil {
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	}
	defer db.Close()
	users := store.NewUserService(db)
	role := gallery.RoleUser
	if *admin {
		role = gallery.RoleAdmin
	}
	var u *gallery.User
	if n, err := users.CountUsers(ctx); err == nil && n == 0 && *admin {
		u, err = users.CreateFirstAdmin(ctx, strings.ToLower(strings.TrimSpace(name)), password)
		if err != nil {
			fmt.Fprintln(stderr, "imagerepo:", gallery.ErrorMessage(err))
			return 1
		}
	} else if u, err = users.CreateUser(ctx, name, password, role); err != nil {
		fmt.Fprintln(stderr, "imagerepo:", gallery.ErrorMessage(err))
		return 1
	}
	if err := db.Close(); err != nil {
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	}
	fmt.Fprintf(stdout, "added %s (%s)\n", u.Username, u.Role)
	return 0
}

// readPassword asks twice without echo on a terminal, else reads the
// first line of stdin.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(pw) != string(again) {
			return "", errors.New("the passwords differ")
		}
		return string(pw), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
