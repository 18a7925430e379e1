package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"imagerepo/importer"
)

const importUsage = "usage: imagerepo import --server URL --token TOKEN [--concurrency N] [--visibility public|private] [--tags a,b] [--json] DIR..."

// runImport is `imagerepo import --server URL --token TOKEN DIR...`: a
// client of a running server that uploads every image under the folders,
// with progress on stderr and the summary on stderr (and as JSON on stdout
// with --json).
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("imagerepo import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "base URL of the running server, e.g. http://localhost:8080")
	token := fs.String("token", "", "API token (make one in the web UI or with POST /api/tokens); prefer IMAGEREPO_TOKEN")
	concurrency := fs.Int("concurrency", importer.DefaultConcurrency, "files uploaded at once")
	visibility := fs.String("visibility", "", "visibility of the new images: public or private (default: the server's)")
	tags := fs.String("tags", "", "comma-separated tags added to every new image")
	asJSON := fs.Bool("json", false, "print the summary as JSON on standard output")
	// Folders may come before, between or after the flags.
	var dirs []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if code, ok := parseCommand(fs, nil, stderr); !ok {
		return code
	}
	*visibility = strings.ToLower(strings.TrimSpace(*visibility))
	problem := serverProblem(*server, *token)
	switch {
	case problem != "":
	case *concurrency < 1:
		problem = "--concurrency must be at least 1"
	case *visibility != "" && *visibility != "public" && *visibility != "private":
		problem = "--visibility must be public or private"
	case len(dirs) == 0:
		problem = "name at least one folder to import"
	}
	if problem != "" {
		fmt.Fprintf(stderr, "imagerepo: %s\n%s\n", problem, importUsage)
		return 2
	}
	terminal := isTerminal(stderr)
	sum, err := importer.Run(ctx, importer.Options{
		Server:      *server,
		Token:       *token,
		Dirs:        dirs,
		Concurrency: *concurrency,
		Visibility:  *visibility,
		Tags:        *tags,
		Progress:    stderr,
		Terminal:    terminal,
	})
	printImportSummary(stderr, sum)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(sum)
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "imagerepo: import interrupted; run the same command again to finish")
		return 130
	case err != nil:
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	case len(sum.Failed) > 0:
		return 1
	}
	return 0
}

func printImportSummary(w io.Writer, s *importer.Summary) {
	for _, sk := range s.Skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", sk.Path, sk.Reason)
	}
	for _, f := range s.Failed {
		fmt.Fprintf(w, "failed  %s: %s\n", f.Path, f.Error)
	}
	fmt.Fprintf(w, "%d uploaded (%d bytes), %d already there, %d skipped, %d failed in %s\n",
		s.Uploaded, s.Bytes, s.Duplicates, len(s.Skipped), len(s.Failed), s.Elapsed.Round(1e6))
}
