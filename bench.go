package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	given, code, ok := parseCommandLine(fs, args, stderr)
	if !ok {
		return code
	}
	if *server == "" && !given["token"] {
		o.Token = "" // IMAGEREPO_TOKEN alone is another command's (import, backup)
	}
	if err := checkBenchFlags(fs, given, *images, o, *server); err != nil {
		fmt.Fprintln(stderr, "imagerepo bench:", err)
		return 2
	}
	// The chart's file is made before the run, so that a path it cannot be
	// written to fails now rather than after it.
	var svg *outFile
	if *svgFile != "" {
		var err error
		if svg, err = createOut(*svgFile); err != nil {
			fmt.Fprintln(stderr, "imagerepo bench:", err)
			return 1
		}
		defer svg.discard()
	}
	o.Progress, o.Terminal = stderr, isTerminal(stderr)
	if *server != "" && !given["server"] {
		fmt.Fprintf(stderr, "imagerepo bench: measuring %s (from IMAGEREPO_SERVER; unset it to measure a temporary repository)\n", *server)
	}

	var (
		r   *bench.Report
		err error
	)
	if *server != "" {
		r, err = bench.RunServer(ctx, *server, o)
	} else {
		r, err = benchLocal(ctx, *images, o)
	}
	o.EndSay() // a progress line a failure left
	if err != nil && ctx.Err() != nil {
		fmt.Fprintln(stderr, "imagerepo bench: interrupted")
		return 130
	} else if err != nil {
		fmt.Fprintln(stderr, "imagerepo bench:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = bench.WriteTable(stdout, r)
	}
	if err == nil && svg != nil {
		err = svg.write(func(w io.Writer) error { return bench.WriteSVG(w, r) })
	}
	if err != nil {
		fmt.Fprintln(stderr, "imagerepo bench:", err)
		return 1
	}
	return 0
}

// checkBenchFlags checks the flags; given holds those on the command line,
// the others may come from the environment.
func checkBenchFlags(fs *flag.FlagSet, given map[string]bool, images int, o bench.Options, server string) error {
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
	case server != "" && given["images"] && !given["server"]:
		return fmt.Errorf("--images makes a temporary repository, but IMAGEREPO_SERVER=%s asks to measure a running server: unset it, or leave out --images", server)
	case server != "" && given["images"]:
		return fmt.Errorf("--images makes a temporary repository; --server measures a running one's own images")
	case server != "" && !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://"):
		return fmt.Errorf("--server must be an http:// or https:// URL")
	}
	return nil
}

// outFile is an output file opened before the work that fills it: an
// existing file is kept as it is until write, a new one is removed again
// when nothing is written.
type outFile struct {
	f       *os.File
	created bool
	done    bool
}

func createOut(name string) (*outFile, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err == nil {
		return &outFile{f: f, created: true}, nil
	} else if !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	if f, err = os.OpenFile(name, os.O_WRONLY, 0); err != nil {
		return nil, err
	}
	return &outFile{f: f}, nil
}

// write replaces the file's content with what fn writes, made in memory
// first so that a failure of fn leaves the file as it was; a pipe or a
// terminal (--svg /dev/stdout) is written to as it is. It reports a
// failure to close the file.
func (o *outFile) write(fn func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		return err
	}
	o.done = true
	fi, err := o.f.Stat()
	if err == nil && fi.Mode().IsRegular() {
		err = o.f.Truncate(0)
	}
	if err == nil {
		_, err = o.f.Write(buf.Bytes())
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// discard closes the file unless write has, and removes it if it was made
// for this run and never written.
func (o *outFile) discard() {
	if o.done {
		return
	}
	o.f.Close()
	if o.created {
		os.Remove(o.f.Name())
	}
}
