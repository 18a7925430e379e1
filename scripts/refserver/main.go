// Command refserver is the "minimal net/http handler" reference of
// scripts/perf.sh: it holds a few files in memory and writes them with
// Content-Length, nothing else (no routing library, no middleware), to show
// what the Go HTTP stack alone costs on this machine.
//
//	go run ./scripts/refserver --addr 127.0.0.1:18082 /doc.json=FILE /thumb.jpg=FILE ...
package main

import (
	"flag"
	"fmt"
	"log"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18082", "address to listen on")
	flag.Parse()
	mux := http.NewServeMux()
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
	}
	fmt.Fprintln(os.Stderr, "refserver: listening on", *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
