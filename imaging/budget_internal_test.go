package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"testing"
	"time"
)

// guard bounds how long a test waits for what must happen.
const guard = 10 * time.Second

func TestPixelBudget(t *testing.T) {
	b := &pixelBudget{size: 100}
	ctx := t.Context()
	if err := b.acquire(ctx, 60); err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 3)
	go func() {
		if b.acquire(ctx, 60) == nil { // must wait for the first
			got <- 2
		}
	}()
	// A small request behind a waiting one waits too: first come, first
	// served, so a stream of small images cannot starve a large one.
	time.Sleep(10 * time.Millisecond)
	go func() {
		if b.acquire(ctx, 10) == nil {
			got <- 3
		}
	}()
	select {
	case n := <-got:
		t.Fatalf("request %d went through a full budget", n)
	case <-time.After(50 * time.Millisecond):
	}
	b.release(60)
	for range 2 {
		select {
		case <-got:
		case <-time.After(guard):
			t.Fatal("a waiting request never went through")
		}
	}

	// Over the whole budget: takes all of it, once the rest is back.
	b.release(60)
	b.release(10)
	if err := b.acquire(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := b.acquire(cctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire on a full budget: %v", err)
	}
	b.release(1000)
	if b.used != 0 || b.waiters.Len() != 0 {
		t.Fatalf("budget left with %d used, %d waiting", b.used, b.waiters.Len())
	}
}

// TestDecoder_PixelsInFlight checks that two decodes whose pixels together
// exceed MaxPixelsInFlight run one after the other, though slots are free.
func TestDecoder_PixelsInFlight(t *testing.T) {
	d := New(Limits{MaxConcurrent: 4, MaxPixelsInFlight: 150})
	p := probe{ct: PNG, width: 10, height: 10, orientation: 1} // 100 pixels each
	entered, release := make(chan struct{}, 2), make(chan struct{})
	d.decode = func(string, io.Reader, int) (image.Image, error) {
		entered <- struct{}{}
		<-release
		return image.NewGray(image.Rect(0, 0, 10, 10)), nil
	}
	done := make(chan error, 2)
	for range 2 {
		go func() {
			done <- d.decodeFully(t.Context(), p, bytes.NewReader(nil), 0, func(image.Image, image.Rectangle) error { return nil })
		}()
	}
	<-entered
	select {
	case <-entered:
		t.Fatal("a second 100-pixel decode started within a budget of 150")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(guard):
			t.Fatal("a decode never finished")
		}
	}
}
