// Command refserver is the "minimal net/http handler" reference of
// scripts/perf.sh: it holds a few files in memory and writes them with
// Content-Length, nothing else (no routing library, no middleware), to show
// what the Go HTTP stack alone costs on this machine.
//
//	go run ./scripts/refserver [--mode nethttp|readrequest|raw] --addr 127.0.0.1:18082 /doc.json=FILE /thumb.jpg=FILE ...
//
// --mode splits that cost into layers (each a floor for the one above it,
// none fit to serve anything but a benchmark):
//
//   - nethttp (the default): an http.Handler served by net/http's Server, as
//     imagerepo is;
//   - readrequest: a goroutine per connection parsing each request with
//     http.ReadRequest and writing status line, Date, the handler's headers
//     and body through one buffer: what a hand-written HTTP/1.1 server on the
//     standard library's parser would cost, without net/http's per-request
//     machinery (its background read, context, deadlines, chunk writer);
//   - raw: a goroutine per connection reading up to the blank line and
//     writing the prepared answer for the request line's path: the kernel
//     and the Go runtime alone, no HTTP parsing.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18082", "address to listen on")
	mode := flag.String("mode", "nethttp", "nethttp, readrequest or raw (see the command's doc)")
	flag.Parse()
	mux := http.NewServeMux()
	raw := map[string][]byte{} // path → whole answer, for --mode raw
	for _, arg := range flag.Args() {
		route, file, ok := strings.Cut(arg, "=")
		if !ok {
			log.Fatalf("refserver: %q is not /path=FILE", arg)
		}
		body, err := os.ReadFile(file)
		if err != nil {
			log.Fatal(err)
		}
		ctype := mime.TypeByExtension(path.Ext(route))
		length := strconv.Itoa(len(body))
		mux.HandleFunc("GET "+route, func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", ctype)
			h.Set("Content-Length", length)
			w.Write(body)
		})
		raw[route] = append([]byte("HTTP/1.1 200 OK\r\nContent-Type: "+ctype+"\r\nContent-Length: "+length+"\r\n\r\n"), body...)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "refserver: listening on", *addr, "mode", *mode)
	switch *mode {
	case "nethttp":
		log.Fatal(http.Serve(ln, mux))
	case "readrequest":
		log.Fatal(serveConns(ln, func(c net.Conn) { serveReadRequest(c, mux) }))
	case "raw":
		log.Fatal(serveConns(ln, func(c net.Conn) { serveRaw(c, raw) }))
	default:
		log.Fatalf("refserver: unknown --mode %q", *mode)
	}
}

// serveConns runs serve on each accepted connection in its own goroutine.
func serveConns(ln net.Listener, serve func(net.Conn)) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			serve(c)
		}()
	}
}

// serveReadRequest answers the requests of c with h, parsing each with
// http.ReadRequest; a reply is flushed when no further request is buffered.
func serveReadRequest(c net.Conn, h http.Handler) {
	br := bufio.NewReaderSize(c, 4<<10)
	bw := bufio.NewWriterSize(c, 4<<10)
	remote := c.RemoteAddr().String()
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		req.RemoteAddr = remote
		w := &replyWriter{header: make(http.Header, 4), bw: bw}
		h.ServeHTTP(w, req)
		w.WriteHeader(http.StatusOK) // a no-op once written
		if br.Buffered() == 0 && bw.Flush() != nil {
			return
		}
	}
}

// replyWriter writes a reply's status line and headers into bw on the first
// Write or WriteHeader, then the body as given.
type replyWriter struct {
	header http.Header
	bw     *bufio.Writer
	wrote  bool
}

func (w *replyWriter) Header() http.Header { return w.header }

func (w *replyWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	fmt.Fprintf(w.bw, "HTTP/1.1 %d %s\r\nDate: %s\r\n", code, http.StatusText(code), time.Now().UTC().Format(http.TimeFormat))
	w.header.Write(w.bw)
	w.bw.WriteString("\r\n")
}

func (w *replyWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.bw.Write(b)
}

// serveRaw reads each request of c up to its blank line and writes the
// answer prepared for the request line's path (nothing for another path:
// the client then times out, which wrk reports).
func serveRaw(c net.Conn, answers map[string][]byte) {
	br := bufio.NewReaderSize(c, 4<<10)
	var answer []byte
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		switch {
		case answer == nil && bytes.HasPrefix(line, []byte("GET ")):
			target, _, _ := bytes.Cut(line[4:], []byte(" "))
			answer = answers[string(target)]
		case len(bytes.TrimRight(line, "\r\n")) == 0:
			if _, err := c.Write(answer); err != nil {
				return
			}
			answer = nil
		}
	}
}
