package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// lineHandler writes the records the server writes most, one per request,
// byte for byte as slog's TextHandler or JSONHandler would, in a fraction of
// their time: no reflection, no quoting checks beyond one pass over each
// string, one pooled buffer. A record it does not know how to write exactly
// (an attribute of another kind, a string that would need quoting or
// escaping, a group) goes to the standard handler, as do the handlers
// WithAttrs and WithGroup make.
type lineHandler struct {
	std  slog.Handler
	json bool
	w    io.Writer // safe for concurrent writes (logBuffer)
}

func newLineHandler(w io.Writer, opts *slog.HandlerOptions, json bool) lineHandler {
	var std slog.Handler = slog.NewTextHandler(w, opts)
	if json {
		std = slog.NewJSONHandler(w, opts)
	}
	return lineHandler{std: std, json: json, w: w}
}

func (h lineHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.std.Enabled(ctx, l) }
func (h lineHandler) WithAttrs(a []slog.Attr) slog.Handler           { return h.std.WithAttrs(a) }
func (h lineHandler) WithGroup(name string) slog.Handler             { return h.std.WithGroup(name) }

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (h lineHandler) Handle(ctx context.Context, r slog.Record) error {
	bp := linePool.Get().(*[]byte)
	b, ok := h.appendRecord((*bp)[:0], r)
	var err error
	if ok {
		_, err = h.w.Write(b)
	}
	if cap(b) <= maxPooledLine { // a rare long line does not stay in the pool
		*bp = b[:0]
		linePool.Put(bp)
	}
	if !ok {
		return h.std.Handle(ctx, r)
	}
	return err
}

const maxPooledLine = 16 << 10

// appendRecord appends r's line to b; false when r is not one it writes
// exactly as the standard handler does.
func (h lineHandler) appendRecord(b []byte, r slog.Record) ([]byte, bool) {
	if r.Time.IsZero() || !plain(r.Message) {
		return b, false
	}
	if y := r.Time.Year(); y < 0 || y >= 10000 {
		return b, false
	}
	if h.json {
		b = append(b, `{"time":"`...)
		b = r.Time.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":"`...)
		b = append(b, r.Level.String()...)
		b = append(b, `","msg":"`...)
		b = append(b, r.Message...)
		b = append(b, '"')
	} else {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, r.Time)
		b = append(b, " level="...)
		b = append(b, r.Level.String()...)
		b = append(b, " msg="...)
		b = append(b, r.Message...)
	}
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		b, ok = h.appendAttr(b, a)
		return ok
	})
	if !ok {
		return b, false
	}
	if h.json {
		b = append(b, '}')
	}
	return append(b, '\n'), true
}

func (h lineHandler) appendAttr(b []byte, a slog.Attr) ([]byte, bool) {
	if !plain(a.Key) {
		return b, false
	}
	if h.json {
		b = append(b, `,"`...)
		b = append(b, a.Key...)
		b = append(b, `":`...)
	} else {
		b = append(b, ' ')
		b = append(b, a.Key...)
		b = append(b, '=')
	}
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		s := v.String()
		if s != "" && !plain(s) {
			return b, false
		}
		if h.json || s == "" {
			b = append(b, '"')
			b = append(b, s...)
			return append(b, '"'), true
		}
		return append(b, s...), true
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10), true
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10), true
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool()), true
	case slog.KindDuration:
		if h.json {
			return strconv.AppendInt(b, int64(v.Duration()), 10), true
		}
		return append(b, v.Duration().String()...), true
	}
	return b, false
}

// plain reports whether s is non-empty and made only of bytes that neither
// handler quotes or escapes: letters, digits and the punctuation of paths,
// addresses and versions.
func plain(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

var plainByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "/:.-_~%+,;@!*'()[]" {
		t[c] = true
	}
	return t
}()

// appendRFC3339Millis is the TextHandler's time: RFC 3339 cut to exactly
// three decimals of the second.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...) // drop the fourth decimal
}
