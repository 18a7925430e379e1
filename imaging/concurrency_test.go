package imaging_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"imagerepo/gallery"
	"imagerepo/imaging"
)

// guard bounds how long a test waits for something that must happen, so a
// broken Decoder fails the test instead of hanging it. It is never a measure
// of speed.
const guard = 10 * time.Second

type result struct {
	info gallery.ImageInfo
	err  error
}

func inspectAsync(ctx context.Context, d *imaging.Decoder, data []byte) <-chan result {
	c := make(chan result, 1)
	go func() {
		info, err := d.Inspect(ctx, bytes.NewReader(data))
		c <- result{info, err}
	}()
	return c
}

func await(t *testing.T, c <-chan result) result {
	t.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(guard):
		t.Fatal("Inspect did not return")
		return result{}
	}
}

// TestDecoder_Inspect_WaitCanceled fills the only decode slot and checks that
// a request waiting for it gives up when its context ends.
func TestDecoder_Inspect_WaitCanceled(t *testing.T) {
	d := imaging.New(imaging.Limits{MaxConcurrent: 1})
	var decodes atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	imaging.SetDecode(d, func(string, io.Reader) error {
		decodes.Add(1)
		entered <- struct{}{}
		<-release
		return nil
	})
	img := pngBytes(t, 3, 3)
	first := inspectAsync(t.Context(), d, img)
	select {
	case <-entered:
	case <-time.After(guard):
		t.Fatal("the first decode did not start")
	}

	ctx, cancel := context.WithCancel(t.Context())
	second := inspectAsync(ctx, d, img)
	// A deadline reaches the second request while it waits for the slot
	// (its own passes take microseconds); a cancel may reach it anywhere.
	deadline, cancelDeadline := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancelDeadline()
	third := inspectAsync(deadline, d, img)

	cancel()
	if r := await(t, second); !errors.Is(r.err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", r.err)
	}
	if r := await(t, third); !errors.Is(r.err, context.DeadlineExceeded) {
		t.Errorf("deadline: err = %v, want context.DeadlineExceeded", r.err)
	}
	if n := decodes.Load(); n != 1 {
		t.Errorf("%d decodes started, want 1", n)
	}

	close(release)
	if r := await(t, first); r.err != nil {
		t.Errorf("first: %v", r.err)
	}
}

func TestDecoder_Inspect_Canceled(t *testing.T) {
	d := imaging.New(imaging.Limits{})
	imaging.SetDecode(d, noDecode(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Inspect(ctx, bytes.NewReader(pngBytes(t, 3, 3))); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestDecoder_Inspect_CanceledMidDecode checks that the reader under a decode
// stops once the request is cancelled, so that a decoder reading a large
// file does not run on for a client that has gone.
func TestDecoder_Inspect_CanceledMidDecode(t *testing.T) {
	d := imaging.New(imaging.Limits{})
	ctx, cancel := context.WithCancel(t.Context())
	imaging.SetDecode(d, func(_ string, r io.Reader) error {
		cancel()
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if _, err := d.Inspect(ctx, bytes.NewReader(pngBytes(t, 64, 64))); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestDecoder_Inspect_Panic(t *testing.T) {
	for _, tt := range []struct {
		name  string
		panic func()
	}{
		{"value", func() { panic("decoder bug") }},
		{"runtime error", func() {
			var s []int
			_ = s[len(s)+1]
		}},
		{"nil error", func() { panic(error(nil)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// One slot: if a panic leaked it, the second Inspect would wait
			// for ever (here, until the guard).
			d := imaging.New(imaging.Limits{MaxConcurrent: 1})
			var calls atomic.Int32
			imaging.SetDecode(d, func(string, io.Reader) error {
				if calls.Add(1) == 1 {
					tt.panic()
				}
				return nil
			})
			img := pngBytes(t, 3, 3)
			_, err := d.Inspect(t.Context(), bytes.NewReader(img))
			if code := gallery.ErrorCode(err); code != gallery.EUNPROCESSABLE {
				t.Fatalf("code = %q (%v), want %q", code, err, gallery.EUNPROCESSABLE)
			}
			if !strings.Contains(err.Error(), "panic") {
				t.Errorf("error %q does not say a decoder panicked", err)
			}
			if msg := gallery.ErrorMessage(err); strings.Contains(msg, "panic") {
				t.Errorf("client message %q tells of the panic", msg)
			}
			ctx, cancel := context.WithTimeout(t.Context(), guard)
			defer cancel()
			if _, err := d.Inspect(ctx, bytes.NewReader(img)); err != nil {
				t.Errorf("Inspect after a panic: %v", err)
			}
		})
	}
}
