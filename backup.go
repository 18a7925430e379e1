package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"imagerepo/backupclient"
)

const backupUsage = "usage: imagerepo backup --server URL --token TOKEN FILE"

// runBackup is `imagerepo backup --server URL --token TOKEN FILE`: a client
// of a running server that saves a backup archive of it to FILE, with
// progress on stderr.
func runBackup(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("imagerepo backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "base URL of the running server, e.g. http://localhost:8080")
	token := fs.String("token", "", "an admin's API token; prefer IMAGEREPO_TOKEN")
	if code, ok := parseCommand(fs, args, stderr); !ok {
		return code
	}
	problem := serverProblem(*server, *token)
	if problem == "" && fs.NArg() != 1 {
		problem = "name one file to write the backup to"
	}
	if problem != "" {
		fmt.Fprintf(stderr, "imagerepo: %s\n%s\n", problem, backupUsage)
		return 2
	}
	terminal := isTerminal(stderr)
	file := fs.Arg(0)
	n, err := backupclient.Download(ctx, backupclient.Options{
		Server: *server, Token: *token, File: file, Progress: stderr, Terminal: terminal,
	})
	if err != nil {
		fmt.Fprintf(stderr, "imagerepo: backup: %v\n%s was not written\n", err, file)
		return 1
	}
	fmt.Fprintf(stderr, "backup written to %s (%d bytes); restore it with: imagerepo restore --data DIR %s\n", file, n, file)
	return 0
}
