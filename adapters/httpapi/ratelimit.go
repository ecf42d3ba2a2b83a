package httpapi

import (
	"sync"
	"time"
)

// defaultMaxKeys bounds how many keys one limiter remembers. A key costs about a hundred bytes, so
// a full limiter holds a few megabytes.
const defaultMaxKeys = 100_000

// limiter grants each key a budget of limit requests per period that refills smoothly: one request
// every period/limit, up to a burst of limit. It implements GCRA (the generic cell rate algorithm):
// per key it stores only the theoretical arrival time (TAT), the moment at which the key's budget
// would be full again. A key whose TAT has passed holds a full budget and is the same as an absent
// key, which makes forgetting idle keys lossless.
//
// A limiter is safe for concurrent use. Its state lives in this process's memory only.
type limiter struct {
	interval  time.Duration // what one request costs: period / limit
	tolerance time.Duration // how far the TAT may run ahead of now and still admit: (limit-1) intervals
	period    time.Duration
	maxKeys   int
	now       func() time.Time
	epoch     time.Time

	mu        sync.Mutex
	tat       map[string]time.Duration // since epoch; absent means a full budget
	nextSweep time.Duration
}

// newLimiter builds a limiter of limit requests per period (both positive), remembering at most
// maxKeys keys, reading time from now.
func newLimiter(limit int, period time.Duration, maxKeys int, now func() time.Time) *limiter {
	interval := max(period/time.Duration(limit), 1)
	start := now()
	return &limiter{
		interval: interval, tolerance: interval * time.Duration(limit-1), period: period,
		maxKeys: max(maxKeys, 1), now: now, epoch: start,
		tat: make(map[string]time.Duration), nextSweep: period,
	}
}

// allow spends one request of key's budget. When the budget is spent it returns false and how long
// until the next request of key would be admitted; a refused request spends nothing.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now().Sub(l.epoch)
	if now >= l.nextSweep {
		l.sweep(now)
	}
	tat, known := l.tat[key]
	tat = max(tat, now)
	if ahead := tat - now; ahead > l.tolerance {
		return false, ahead - l.tolerance
	}
	if !known && len(l.tat) >= l.maxKeys {
		l.evictOne()
	}
	l.tat[key] = tat + l.interval
	return true, 0
}

// sweep forgets every key whose budget is full again; it runs at most once a period, so its cost
// spreads over the requests of that period.
func (l *limiter) sweep(now time.Duration) {
	for k, tat := range l.tat {
		if tat <= now {
			delete(l.tat, k)
		}
	}
	l.nextSweep = now + l.period
}

// evictOne makes room under a flood of distinct keys. Rather than grow without bound, or refuse
// newcomers (which would block users who did nothing), it forgets an arbitrary key (map order is
// randomized), which then starts again with a full budget. The flood's own keys are the likely
// victims, since they fill the table.
func (l *limiter) evictOne() {
	for k := range l.tat {
		delete(l.tat, k)
		return
	}
}

// size is how many keys the limiter remembers.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tat)
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1, as Retry-After carries them.
func retryAfterSeconds(wait time.Duration) int {
	s := int((wait + time.Second - 1) / time.Second)
	return max(s, 1)
}
