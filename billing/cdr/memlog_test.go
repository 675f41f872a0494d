package cdr_test

import (
	"context"
	"sync"

	"softswitch/domain"
	"softswitch/eventstore"
)

// memLog is an in-memory eventstore.Store, so these tests and benchmarks do
// not depend on the journal package.
type memLog struct {
	mu   sync.Mutex
	envs []domain.Envelope
}

var _ eventstore.Store = (*memLog)(nil)

func (l *memLog) Append(_ context.Context, envs []domain.Envelope) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range envs {
		e.Position = uint64(len(l.envs)) + 1
		l.envs = append(l.envs, e)
	}
	return nil
}

func (l *memLog) Read(ctx context.Context, from uint64, fn func(domain.Envelope) error) error {
	l.mu.Lock()
	envs := l.envs
	l.mu.Unlock()
	if from == 0 {
		from = 1
	}
	for i := from - 1; i < uint64(len(envs)); i++ {
		if err := fn(envs[i]); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (l *memLog) Head() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.envs))
}

func (l *memLog) WaitFor(ctx context.Context, pos uint64) error {
	if l.Head() >= pos {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (l *memLog) Close() error { return nil }
