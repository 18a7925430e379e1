package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"imagerepo/bench"
)

// runBench is `imagerepo bench`: the cache hit against miss benchmark, on a
// temporary repository it makes or against a running server.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("imagerepo bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	images := fs.Int("images", 10000, "images in the temporary repository")
	o := bench.Options{}
	fs.IntVar(&o.Concurrency, "concurrency", 32, "HTTP clients at once")
	fs.DurationVar(&o.Duration, "duration", time.Second, "how long each of the ten cases runs")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	svgFile := fs.String("svg", "", "also draw the comparison as a bar chart in this SVG file")
	server := fs.String("server", "", "measure only HTTP, against this running server's images (read, never changed)")
	fs.StringVar(&o.Token, "token", "", "API token for --server")
	if code, ok := parseCommand(fs, args, stderr); !ok {
		return code
	}
	if err := checkBenchFlags(fs, *images, o, *server); err != nil {
		fmt.Fprintln(stderr, "imagerepo bench:", err)
		return 2
	}
	o.Progress = stderr

	var (
		r   *bench.Report
		err error
	)
	if *server != "" {
		r, err = bench.RunServer(ctx, *server, o)
	} else {
		r, err = benchLocal(ctx, *images, o, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "\nimagerepo bench:", err)
		return 1
	}
	if *svgFile != "" {
		if err := writeFile(*svgFile, func(w io.Writer) error { return bench.WriteSVG(w, r) }); err != nil {
			fmt.Fprintln(stderr, "imagerepo bench:", err)
			return 1
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = bench.WriteTable(stdout, r)
	}
	if err != nil {
		fmt.Fprintln(stderr, "imagerepo bench:", err)
		return 1
	}
	return 0
}

func checkBenchFlags(fs *flag.FlagSet, images int, o bench.Options, server string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case images < 20 || images > 1_000_000:
		return fmt.Errorf("--images must be from 20 to 1000000")
	case o.Concurrency < 1 || o.Concurrency > 1024:
		return fmt.Errorf("--concurrency must be from 1 to 1024")
	case o.Duration < 10*time.Millisecond || o.Duration > time.Hour:
		return fmt.Errorf("--duration must be from 10ms to 1h")
	case server == "" && o.Token != "":
		return fmt.Errorf("--token goes with --server")
	case server != "" && given["images"]:
		return fmt.Errorf("--images makes a temporary repository; --server measures a running one's own images")
	case server != "" && !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://"):
		return fmt.Errorf("--server must be an http:// or https:// URL")
	}
	return nil
}

// writeFile writes a file through fn, reporting a failure to close it.
func writeFile(name string, fn func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
