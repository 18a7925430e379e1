package imaging

import (
	"container/list"
	"context"
	"sync"
)

// pixelBudget is a weighted semaphore counted in pixels, first come first
// served, so that the decodes in flight hold at most size pixels between
// them however many slots are free: two 100-megapixel decodes wait for each
// other on a small box while small images pass side by side.
type pixelBudget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	waiters list.List // of *budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed when the pixels are the waiter's
}

// acquire takes n pixels, waiting no longer than ctx allows. A request over
// the whole budget takes the whole budget, so that it waits for the others
// instead of for ever.
func (b *pixelBudget) acquire(ctx context.Context, n int64) error {
	n = min(n, b.size)
	b.mu.Lock()
	if b.size-b.used >= n && b.waiters.Len() == 0 {
		b.used += n
		b.mu.Unlock()
		return nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	e := b.waiters.PushBack(w)
	b.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready:
			// Granted as ctx ended: give the pixels back, since the caller
			// is told it has none.
			b.used -= n
		default:
			b.waiters.Remove(e)
		}
		// Either way the head of the queue may fit now.
		b.grant()
		b.mu.Unlock()
		return ctx.Err()
	}
}

// release gives back n pixels taken by acquire.
func (b *pixelBudget) release(n int64) {
	n = min(n, b.size)
	b.mu.Lock()
	b.used -= n
	b.grant()
	b.mu.Unlock()
}

// grant hands pixels to the waiters in order while the first of them fits.
// b.mu is held.
func (b *pixelBudget) grant() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*budgetWaiter)
		if b.size-b.used < w.n {
			return
		}
		b.used += w.n
		b.waiters.Remove(e)
		close(w.ready)
	}
}
