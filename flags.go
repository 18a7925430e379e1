package main

import (
	"errors"
	"net"
	"time"

	"flag"
	"fmt"
	"imagerepo/api"
	"imagerepo/gallery"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// ParseFlags reads the serve flags from args and, for every flag not given
// there, from the environment variable IMAGEREPO_FOO_BAR of flag --foo-bar.
func (m *Main) ParseFlags(args []string, stderr io.Writer) error {
	c := &m.Config
	fs := flag.NewFlagSet("imagerepo serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory (created if missing)")
	fs.IntVar(&c.CacheSize, "cache-size", c.CacheSize, "image documents held in the hot-id cache")
	fs.Var(byteSize{&c.ThumbCacheBytes}, "thumb-cache-size", "memory kept for hot thumbnails, e.g. 32MiB (0: none)")
	fs.Var(byteSize{&c.API.MaxFileBytes}, "max-file-size", "largest accepted file, e.g. 50MiB")
	fs.IntVar(&c.API.MaxFiles, "max-files", c.API.MaxFiles, "files per upload request")
	fs.Int64Var(&c.MaxPixels, "max-pixels", c.MaxPixels, "largest accepted image in pixels (width × height)")
	fs.IntVar(&c.MaxGIFFrames, "max-gif-frames", c.MaxGIFFrames, "most frames accepted in a GIF")
	fs.IntVar(&c.DecodeConcurrency, "decode-concurrency", 0, "images decoded at once (0: one per CPU)")
	fs.DurationVar(&c.API.TransferTimeout, "transfer-timeout", c.API.TransferTimeout, "longest upload or download")
	fs.DurationVar(&c.API.ShutdownTimeout, "shutdown-timeout", c.API.ShutdownTimeout, "how long a stop waits for requests in flight")
	fs.BoolVar(&c.API.OpenRegistration, "open-registration", c.API.OpenRegistration, "let anyone create an account (not only admins)")
	fs.Var(visibilityFlag{&c.API.DefaultVisibility}, "default-visibility", "visibility of uploads that do not say: private or public")
	fs.DurationVar(&c.API.SessionTTL, "session-ttl", c.API.SessionTTL, "how long a sign-in lasts")
	fs.Var(cidrList{&c.API.TrustedProxies}, "trusted-proxy", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed")
	fs.StringVar(&c.API.MetricsAccess, "metrics", c.API.MetricsAccess, "who may read /metrics: admin, public or off")
	fs.TextVar(&c.LogLevel, "log-level", c.LogLevel, "least level logged: debug, info (one line per request), warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log lines as text (key=value) or json")
	fs.BoolVar(&m.showVersion, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := envDefaults(fs); err != nil {
		return err
	}
	switch {
	case c.CacheSize < 1:
		return fmt.Errorf("--cache-size must be at least 1")
	case c.API.MaxFileBytes < 1:
		return fmt.Errorf("--max-file-size must be positive")
	case c.API.MaxFiles < 1:
		return fmt.Errorf("--max-files must be at least 1")
	case c.MaxPixels < 1:
		return fmt.Errorf("--max-pixels must be at least 1")
	case c.MaxGIFFrames < 1:
		return fmt.Errorf("--max-gif-frames must be at least 1")
	case c.API.SessionTTL < time.Minute:
		return fmt.Errorf("--session-ttl must be at least 1m")
	case c.DecodeConcurrency < 0:
		return fmt.Errorf("--decode-concurrency must not be negative")
	case c.API.MetricsAccess != api.MetricsAdmin && c.API.MetricsAccess != api.MetricsPublic && c.API.MetricsAccess != api.MetricsOff:
		return fmt.Errorf("--metrics must be admin, public or off")
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("--log-format must be text or json")
	}
	return nil
}

// parseCommand parses a subcommand's flags, then the environment. When ok
// is false the command stops with code (0 after --help).
func parseCommand(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	_, code, ok = parseCommandLine(fs, args, stderr)
	return code, ok
}

// parseCommandLine is parseCommand that also returns the names of the
// flags given on the command line, as against those the environment set.
func parseCommandLine(fs *flag.FlagSet, args []string, stderr io.Writer) (given map[string]bool, code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0, false
		}
		return nil, 2, false
	}
	given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if err := envDefaults(fs); err != nil {
		fmt.Fprintln(stderr, "imagerepo:", err)
		return nil, 2, false
	}
	return given, 0, true
}

// serverProblem says what is wrong with the --server and --token of a
// command that is a client of a running server, or "".
func serverProblem(server, token string) string {
	switch {
	case server == "":
		return "--server (or IMAGEREPO_SERVER) is required"
	case !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://"):
		return "--server must be an http:// or https:// URL"
	case token == "":
		return "--token (or IMAGEREPO_TOKEN) is required"
	}
	return ""
}

// isTerminal reports whether w is a terminal, where progress redraws one
// line; elsewhere (a log, a pipe) it prints plain lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// envDefaults sets each flag that was not on the command line from its
// IMAGEREPO_ environment variable.
func envDefaults(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "IMAGEREPO_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := os.LookupEnv(name)
		if given[f.Name] || !ok || err != nil {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("%s=%q: %v", name, v, e)
		}
	})
	return err
}

// byteSize is a flag.Value for sizes like 50MiB, 10MB, 512KiB or 1048576.
type byteSize struct{ n *int64 }

func (b byteSize) String() string {
	if b.n == nil {
		return ""
	}
	return strconv.FormatInt(*b.n, 10)
}

func (b byteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suffix)) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("not a size: want a number with an optional unit such as 50MiB")
	}
	*b.n = n * mult
	return nil
}

// visibilityFlag takes public or private.
type visibilityFlag struct{ v *gallery.Visibility }

func (f visibilityFlag) String() string {
	if f.v == nil {
		return ""
	}
	return string(*f.v)
}

func (f visibilityFlag) Set(s string) error {
	v := gallery.Visibility(strings.ToLower(strings.TrimSpace(s)))
	if !v.Valid() {
		return fmt.Errorf("want public or private")
	}
	*f.v = v
	return nil
}

// cidrList takes addresses and CIDRs separated by commas.
type cidrList struct{ nets *[]*net.IPNet }

func (f cidrList) String() string {
	if f.nets == nil {
		return ""
	}
	var parts []string
	for _, n := range *f.nets {
		parts = append(parts, n.String())
	}
	return strings.Join(parts, ",")
}

func (f cidrList) Set(s string) error {
	var nets []*net.IPNet
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			if ip := net.ParseIP(part); ip != nil && ip.To4() != nil {
				part += "/32"
			} else {
				part += "/128"
			}
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return fmt.Errorf("%q is not an address or CIDR", part)
		}
		nets = append(nets, n)
	}
	*f.nets = nets
	return nil
}
