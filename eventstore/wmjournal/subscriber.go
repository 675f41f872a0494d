package wmjournal

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/domain"
	"softswitch/eventstore"
)

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = errors.New("wmjournal: subscriber closed")

// ErrInvalidConfig is wrapped by Config.Validate.
var ErrInvalidConfig = errors.New("wmjournal: invalid config")

// Config configures a Subscriber.
type Config struct {
	// StartFrom returns the first position to deliver, i.e. the consumer's
	// checkpoint plus one; 0 and 1 both mean from the beginning. It is
	// called once per Subscribe, because the consumer, not this package,
	// owns the checkpoint. Nil starts from the beginning.
	StartFrom func(ctx context.Context) (uint64, error)
	// RetryBackoff is how long to wait before redelivering a Nacked
	// message, and before retrying a failed read. Default 100ms.
	RetryBackoff time.Duration
}

func (c *Config) setDefaults() {
	if c.StartFrom == nil {
		c.StartFrom = func(context.Context) (uint64, error) { return 1, nil }
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = 100 * time.Millisecond
	}
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if c.RetryBackoff < 0 {
		return fmt.Errorf("%w: negative RetryBackoff %v", ErrInvalidConfig, c.RetryBackoff)
	}
	return nil
}

// Subscriber tails a Store, one message in flight at a time: the next
// envelope is sent only after the previous one is Acked, which is what
// keeps per-aggregate (indeed total) order for the consumer.
type Subscriber struct {
	store   eventstore.Store
	cfg     Config
	logger  watermill.LoggerAdapter
	closing chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	mu      sync.Mutex
	closed  bool
}

var _ message.Subscriber = (*Subscriber)(nil)

// New returns a Subscriber on store. A nil logger discards.
func New(store eventstore.Store, cfg Config, logger watermill.LoggerAdapter) (*Subscriber, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Subscriber{store: store, cfg: cfg, logger: logger, closing: make(chan struct{})}, nil
}

// Subscribe starts tailing the store. The store is a single stream, so
// topic only labels logs. The channel is closed when ctx ends, Close is
// called, or the store is closed.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan *message.Message)
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	go func() {
		defer s.wg.Done()
		defer close(out)
		defer cancel()
		s.tail(ctx, out, s.logger.With(watermill.LogFields{"topic": topic}))
	}()
	return out, nil
}

// Close ends every subscription and waits for them to stop.
func (s *Subscriber) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.closing)
		s.mu.Unlock()
	})
	s.wg.Wait()
	return nil
}

func (s *Subscriber) tail(ctx context.Context, out chan<- *message.Message, log watermill.LoggerAdapter) {
	var from uint64
	for {
		var err error
		if from, err = s.cfg.StartFrom(ctx); err == nil {
			break
		}
		log.Error("wmjournal: StartFrom failed, retrying", err, nil)
		if !sleep(ctx, s.cfg.RetryBackoff) {
			return
		}
	}
	from = max(from, 1)
	log.Info("wmjournal: tailing", watermill.LogFields{"from": from})
	for {
		err := s.store.Read(ctx, from, func(env domain.Envelope) error {
			if err := s.deliver(ctx, env, out, log); err != nil {
				return err
			}
			from = env.Position + 1
			return nil
		})
		if err == nil {
			err = s.store.WaitFor(ctx, from)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return
		case errors.Is(err, eventstore.ErrClosed):
			log.Info("wmjournal: store closed, ending subscription", nil)
			return
		default:
			// A read error or an envelope that will not encode: retrying
			// stalls the consumer visibly rather than skipping an event.
			log.Error("wmjournal: tail failed, retrying", err, watermill.LogFields{"position": from})
			if !sleep(ctx, s.cfg.RetryBackoff) {
				return
			}
		}
	}
}

// deliver sends env and waits for its Ack, redelivering a fresh copy after
// each Nack (a watermill message can be acked or nacked only once).
func (s *Subscriber) deliver(ctx context.Context, env domain.Envelope, out chan<- *message.Message, log watermill.LoggerAdapter) error {
	for {
		msg, err := ToMessage(env)
		if err != nil {
			return err
		}
		msg.SetContext(eventstore.ContextWithEnvelope(ctx, env))
		select {
		case out <- msg:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-msg.Acked():
			return nil
		case <-msg.Nacked():
			log.Debug("wmjournal: nacked, redelivering", watermill.LogFields{"position": env.Position, "uuid": env.ID})
			if !sleep(ctx, s.cfg.RetryBackoff) {
				return ctx.Err()
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sleep waits d or until ctx ends; it reports whether to carry on.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
