package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrTokenRefused is returned when the server answers 401: every further
// request would be refused too, so the run stops.
var ErrTokenRefused = errors.New("the token was refused (401): check --token or IMAGEREPO_TOKEN")

// maxRetryAfter caps how long a Retry-After may hold a file up.
const maxRetryAfter = time.Minute

// client speaks imagerepo's HTTP API with a bearer token and retries what
// may succeed a moment later: network errors, 5xx and 429.
type client struct {
	base     string
	token    string
	http     *http.Client
	attempts int           // tries per request, the first included
	backoff  time.Duration // first wait between tries; doubles after each
}

// apiError is a refusal by the server, in its error shape.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the server answered %d", e.Status)
	}
	return fmt.Sprintf("%s (%d)", e.Message, e.Status)
}

// retryable reports whether a response status is worth another try.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// do sends the request made by newReq, retrying, and returns the first
// response that is not retried. newReq is called per try, so a body is
// made afresh each time. The caller closes the body.
func (c *client) do(ctx context.Context, newReq func(context.Context) (*http.Request, error)) (*http.Response, error) {
	wait := c.backoff
	for try := 1; ; try++ {
		req, err := newReq(ctx)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Accept", "application/json")
		resp, err := c.http.Do(req)
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, ctx.Err()
		}
		delay := wait
		switch {
		case err != nil:
			// A network error: the server may be restarting.
		case !retryable(resp.StatusCode) || try >= c.attempts:
			return resp, nil
		default:
			if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
				delay = d
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if try >= c.attempts {
			return nil, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait *= 2
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(time.Until(t), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

// readError turns a refusal into an error, from the server's error shape
// when it sent one.
func readError(resp *http.Response) error {
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	if resp.StatusCode == http.StatusUnauthorized {
		return ErrTokenRefused
	}
	return &apiError{Status: resp.StatusCode, Code: body.Error.Code, Message: body.Error.Message}
}

// me checks that the server is there and takes the token.
func (c *client) me(ctx context.Context) (string, error) {
	resp, err := c.do(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/me", nil)
	})
	if err != nil {
		return "", fmt.Errorf("cannot reach the server at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", readError(resp)
	}
	var me struct{ Username string }
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		return "", fmt.Errorf("%s does not answer like an imagerepo server: %v", c.base, err)
	}
	return me.Username, nil
}

// has asks whether the caller already has an image with these bytes.
func (c *client) has(ctx context.Context, sum string) (bool, error) {
	resp, err := c.do(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/images?limit=1&sha256="+url.QueryEscape(sum), nil)
	})
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, readError(resp)
	}
	var list struct {
		Images []json.RawMessage `json:"images"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return false, fmt.Errorf("read the sha256 lookup: %v", err)
	}
	return len(list.Images) > 0, nil
}

// upload sends one file in its own request, streamed from disk. It
// reports whether the server already had the bytes.
func (c *client) upload(ctx context.Context, path, contentType string, fields map[string]string) (duplicate bool, err error) {
	resp, err := c.do(ctx, func(ctx context.Context) (*http.Request, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			defer f.Close()
			pw.CloseWithError(writeForm(mw, f, filepath.Base(path), contentType, fields))
		}()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/images", pr)
		if err != nil {
			pr.CloseWithError(err)
			return nil, err
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return req, nil
	})
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return false, readError(resp)
	}
	var out struct {
		Images []struct {
			Duplicate bool `json:"duplicate"`
		} `json:"images"`
		Failed []struct {
			Error struct{ Code, Message string } `json:"error"`
		} `json:"failed"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return false, fmt.Errorf("read the upload answer: %v", err)
	}
	if len(out.Failed) > 0 {
		return false, &apiError{Status: resp.StatusCode, Code: out.Failed[0].Error.Code, Message: out.Failed[0].Error.Message}
	}
	if len(out.Images) == 0 {
		return false, errors.New("the server stored nothing and said no why")
	}
	return out.Images[0].Duplicate, nil
}

func writeForm(mw *multipart.Writer, f io.Reader, name, contentType string, fields map[string]string) error {
	for k, v := range fields {
		if v == "" {
			continue
		}
		if err := mw.WriteField(k, v); err != nil {
			return err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, escapeQuotes(name)))
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, f); err != nil {
		return err
	}
	return mw.Close()
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "%0D", "\n", "%0A")

func escapeQuotes(s string) string { return quoteEscaper.Replace(s) }
