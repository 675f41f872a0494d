package wmjournal

import (
	"context"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// TopicSubscriber reads watermill messages from their topic's store, from
// the beginning on every Subscribe, one message in flight at a time.
type TopicSubscriber struct {
	ps     *PubSub
	once   sync.Once
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
	subs   []*Subscriber
}

var _ message.Subscriber = (*TopicSubscriber)(nil)

// Subscribe tails topic's store. The channel is closed when ctx ends or
// Close is called.
func (s *TopicSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	st, err := s.ps.store(topic)
	if err != nil {
		return nil, err
	}
	inner, err := New(st, s.ps.cfg, s.ps.logger)
	if err != nil {
		return nil, err
	}
	in, err := inner.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	s.subs = append(s.subs, inner)
	out := make(chan *message.Message)
	log := s.ps.logger.With(watermill.LogFields{"topic": topic})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		s.relay(in, out, log)
	}()
	return out, nil
}

// relay unwraps each envelope message from in, hands it out and passes its
// Ack or Nack back; the inner Subscriber does the waiting and redelivery.
func (s *TopicSubscriber) relay(in <-chan *message.Message, out chan<- *message.Message, log watermill.LoggerAdapter) {
	for envMsg := range in {
		msg, err := s.unwrapMessage(envMsg)
		if err != nil {
			// Not ours: skipping would lose it silently, so hold the topic
			// (redelivered after RetryBackoff) and say why.
			log.Error("wmjournal: undecodable message on topic", err, watermill.LogFields{"uuid": envMsg.UUID})
			envMsg.Nack()
			continue
		}
		// Cancelled once the message is settled, as watermill expects.
		ctx, cancel := context.WithCancel(envMsg.Context())
		msg.SetContext(ctx)
		select {
		case out <- msg:
		case <-envMsg.Context().Done():
			cancel()
			continue // in is closed next
		}
		select {
		case <-msg.Acked():
			envMsg.Ack()
		case <-msg.Nacked():
			envMsg.Nack()
		case <-envMsg.Context().Done():
		}
		cancel()
	}
}

func (s *TopicSubscriber) unwrapMessage(envMsg *message.Message) (*message.Message, error) {
	env, err := FromMessage(envMsg)
	if err != nil {
		return nil, err
	}
	return unwrap(env)
}

// Close ends every subscription and waits for them to stop; the stores
// stay open. It is safe to call more than once.
func (s *TopicSubscriber) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		subs := s.subs
		s.mu.Unlock()
		for _, sub := range subs {
			sub.Close()
		}
	})
	s.wg.Wait()
	return nil
}
