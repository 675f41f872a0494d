package wmjournal

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/domain"
)

// TopicPublisher appends watermill messages to their topic's store.
type TopicPublisher struct {
	ps     *PubSub
	closed atomic.Bool
}

var _ message.Publisher = (*TopicPublisher)(nil)

// Publish appends msgs to topic's store in one Append: they are durable, in
// order, when it returns.
func (p *TopicPublisher) Publish(topic string, msgs ...*message.Message) error {
	// watermill's Publish has no context; the store's Append is bounded by
	// its own durability work.
	return p.PublishContext(context.Background(), topic, msgs...)
}

// PublishContext is Publish bounded by ctx.
func (p *TopicPublisher) PublishContext(ctx context.Context, topic string, msgs ...*message.Message) error {
	if p.closed.Load() {
		return ErrClosed
	}
	st, err := p.ps.store(topic)
	if err != nil {
		return err
	}
	now := time.Now()
	envs := make([]domain.Envelope, len(msgs))
	for i, msg := range msgs {
		if envs[i], err = wrap(topic, msg, now); err != nil {
			return err
		}
	}
	return st.Append(ctx, envs)
}

// Close stops further Publishes; the stores stay open.
func (p *TopicPublisher) Close() error {
	p.closed.Store(true)
	return nil
}
