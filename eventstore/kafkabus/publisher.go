package kafkabus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
)

// Publisher writes watermill messages to Kafka, synchronously.
type Publisher struct {
	cfg       PublisherConfig
	logger    *slog.Logger
	transport *kafka.Transport
	w         *kafka.Writer

	mu      sync.Mutex
	closed  bool
	created map[string]bool // topics EnsureTopic has succeeded for

	closeOnce sync.Once
	closeErr  error
}

var _ message.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher. A nil logger discards.
func NewPublisher(cfg PublisherConfig, logger *slog.Logger) (*Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger = orDiscard(logger).With("component", "kafkabus.publisher")
	// Own transport, so Close can drop its connections instead of leaving
	// them in kafka-go's process-wide default pool.
	transport := &kafka.Transport{}
	w := &kafka.Writer{
		Addr:      kafka.TCP(cfg.Brokers...),
		Balancer:  &kafka.Hash{},
		Transport: transport,
		// The struct-literal zero value is acks=none: a Publish that
		// returned would prove nothing.
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           cfg.BatchTimeout,
		WriteTimeout:           cfg.WriteTimeout,
		AllowAutoTopicCreation: true,
		Logger:                 kafkaLogger(logger, slog.LevelDebug),
		ErrorLogger:            kafkaLogger(logger, slog.LevelWarn),
	}
	return &Publisher{cfg: cfg, logger: logger, transport: transport, w: w, created: map[string]bool{}}, nil
}

// Publish writes msgs to topic in one batch and returns once the broker
// has acknowledged all of them (acks=all). Messages with the same key keep
// their relative order.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	// watermill's Publish has no context; WriteTimeout bounds the call.
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.WriteTimeout)
	defer cancel()
	return p.PublishContext(ctx, topic, msgs...)
}

// PublishContext is Publish bounded by ctx.
func (p *Publisher) PublishContext(ctx context.Context, topic string, msgs ...*message.Message) error {
	if err := p.ensure(ctx, topic); err != nil {
		return err
	}
	if len(msgs) == 0 {
		return nil
	}
	recs := make([]kafka.Message, len(msgs))
	for i, msg := range msgs {
		recs[i] = encode(topic, p.cfg.KeyMetadata, msg)
	}
	if err := p.w.WriteMessages(ctx, recs...); err != nil {
		return fmt.Errorf("kafkabus: publish %d messages to %s: %w", len(recs), topic, err)
	}
	return nil
}

// ensure creates topic once per Publisher when CreateTopics asks for it.
func (p *Publisher) ensure(ctx context.Context, topic string) error {
	p.mu.Lock()
	closed, done := p.closed, p.created[topic]
	p.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case done || p.cfg.CreateTopics.Partitions == 0:
		return nil
	}
	spec := p.cfg.CreateTopics
	if err := EnsureTopic(ctx, p.cfg.Brokers, topic, spec.Partitions, spec.ReplicationFactor); err != nil {
		return err
	}
	p.mu.Lock()
	p.created[topic] = true
	p.mu.Unlock()
	return nil
}

// Close flushes and closes the writer. It is safe to call more than once.
func (p *Publisher) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.closeErr = p.w.Close()
		p.transport.CloseIdleConnections()
	})
	return p.closeErr
}
