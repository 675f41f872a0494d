package kafkabus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
)

// Subscriber reads watermill messages from Kafka. Each subscription hands
// out one message at a time and waits for its Ack or Nack, which keeps
// partition order for the consumer.
type Subscriber struct {
	cfg       SubscriberConfig
	logger    *slog.Logger
	transport *kafka.Transport // metadata and topic lookups

	closing   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	readers map[string]map[*kafka.Reader]bool // live group readers by topic, for Commit
}

var (
	_ message.Subscriber           = (*Subscriber)(nil)
	_ message.SubscribeInitializer = (*Subscriber)(nil)
)

// NewSubscriber returns a Subscriber. A nil logger discards.
func NewSubscriber(cfg SubscriberConfig, logger *slog.Logger) (*Subscriber, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Subscriber{
		cfg:       cfg,
		logger:    orDiscard(logger).With("component", "kafkabus.subscriber", "group", cfg.ConsumerGroup),
		transport: &kafka.Transport{},
		closing:   make(chan struct{}),
		readers:   map[string]map[*kafka.Reader]bool{},
	}, nil
}

// SubscribeInitialize creates topic when CreateTopics asks for it; the
// watermill suite and routers call it before Subscribe.
func (s *Subscriber) SubscribeInitialize(topic string) error {
	spec := s.cfg.CreateTopics
	if spec.Partitions == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return EnsureTopic(ctx, s.cfg.Brokers, topic, spec.Partitions, spec.ReplicationFactor)
}

// Subscribe starts reading topic. With a consumer group it reads the
// partitions the group assigns, from the committed offsets; without one it
// reads every partition from the beginning. A topic that does not exist
// yet is waited for. The channel is closed when ctx ends or Close is
// called.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan *message.Message)
	log := s.logger.With("topic", topic)
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
		s.run(ctx, topic, out, log)
	}()
	return out, nil
}

// Commit marks everything before offset next of topic's partition as done
// for the consumer group; next is the first offset not yet processed. It is
// meant for ManualCommit, where the consumer commits only what it has made
// durable, and needs a live subscription to topic: Kafka takes commits only
// from members of the group.
func (s *Subscriber) Commit(ctx context.Context, topic string, partition int, next int64) error {
	if s.cfg.ConsumerGroup == "" {
		return ErrNoConsumerGroup
	}
	if next < 0 || partition < 0 {
		return fmt.Errorf("%w: commit %s/%d at %d", ErrInvalidConfig, topic, partition, next)
	}
	r := s.reader(topic)
	if r == nil {
		return fmt.Errorf("%w: %s", ErrNotSubscribed, topic)
	}
	// CommitMessages stores Offset+1, the next offset to read.
	rec := kafka.Message{Topic: topic, Partition: partition, Offset: next - 1}
	if err := r.CommitMessages(ctx, rec); err != nil {
		return fmt.Errorf("kafkabus: commit %s/%d at %d: %w", topic, partition, next, err)
	}
	return nil
}

// CommitOffsets is Commit for several partitions of topic in one request:
// next maps a partition to its first offset not yet processed. A consumer
// that flushes all its partitions at once commits them at once, instead of
// one synchronous round trip per partition.
func (s *Subscriber) CommitOffsets(ctx context.Context, topic string, next map[int]int64) error {
	if s.cfg.ConsumerGroup == "" {
		return ErrNoConsumerGroup
	}
	if len(next) == 0 {
		return nil
	}
	r := s.reader(topic)
	if r == nil {
		return fmt.Errorf("%w: %s", ErrNotSubscribed, topic)
	}
	recs := make([]kafka.Message, 0, len(next))
	for part, off := range next {
		if off < 0 || part < 0 {
			return fmt.Errorf("%w: commit %s/%d at %d", ErrInvalidConfig, topic, part, off)
		}
		// CommitMessages stores Offset+1, the next offset to read.
		recs = append(recs, kafka.Message{Topic: topic, Partition: part, Offset: off - 1})
	}
	if err := r.CommitMessages(ctx, recs...); err != nil {
		return fmt.Errorf("kafkabus: commit %d partitions of %s: %w", len(recs), topic, err)
	}
	return nil
}

// Close ends every subscription and waits until their readers are closed
// (group members leave the group, handing their partitions over at once).
// It is safe to call more than once.
func (s *Subscriber) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.closing)
		s.mu.Unlock()
	})
	s.wg.Wait()
	s.transport.CloseIdleConnections()
	return nil
}

func (s *Subscriber) run(ctx context.Context, topic string, out chan<- *message.Message, log *slog.Logger) {
	ids, ok := s.waitForTopic(ctx, topic, log)
	if !ok {
		return
	}
	if s.cfg.ConsumerGroup != "" {
		r := s.groupReader(topic, log)
		s.register(topic, r)
		defer func() {
			s.unregister(topic, r)
			if err := r.Close(); err != nil {
				log.Warn("kafkabus: close reader", "err", err)
			}
		}()
		s.consume(ctx, groupSource{r: r, commit: !s.cfg.ManualCommit}, out, log)
		return
	}
	src := partitionSource{recs: make(chan kafka.Message)}
	var readers sync.WaitGroup
	defer readers.Wait() // after consume returned, which is after ctx ended
	for _, p := range ids {
		readers.Add(1)
		go func() {
			defer readers.Done()
			s.readPartition(ctx, topic, p, src.recs, log)
		}()
	}
	s.consume(ctx, src, out, log)
}

// waitForTopic creates the topic if configured to, then returns its
// partitions, retrying until it exists or ctx ends.
func (s *Subscriber) waitForTopic(ctx context.Context, topic string, log *slog.Logger) ([]int, bool) {
	spec := s.cfg.CreateTopics
	client := &kafka.Client{Addr: kafka.TCP(s.cfg.Brokers...), Timeout: adminTimeout, Transport: s.transport}
	for {
		var err error
		if spec.Partitions > 0 {
			err = EnsureTopic(ctx, s.cfg.Brokers, topic, spec.Partitions, spec.ReplicationFactor)
		}
		if err == nil {
			var ids []int
			if ids, err = partitions(ctx, client, topic); err == nil {
				return ids, true
			}
		}
		if ctx.Err() != nil {
			return nil, false
		}
		if errors.Is(err, ErrTopicNotFound) {
			log.Debug("kafkabus: waiting for topic")
		} else {
			log.Warn("kafkabus: topic lookup failed, retrying", "err", err)
		}
		if !sleep(ctx, s.cfg.NackResendSleep) {
			return nil, false
		}
	}
}

func (s *Subscriber) groupReader(topic string, log *slog.Logger) *kafka.Reader {
	start := kafka.FirstOffset
	if s.cfg.StartFromNewest {
		start = kafka.LastOffset
	}
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:           s.cfg.Brokers,
		GroupID:           s.cfg.ConsumerGroup,
		Topic:             topic,
		StartOffset:       start,
		MinBytes:          s.cfg.MinBytes,
		MaxBytes:          s.cfg.MaxBytes,
		MaxWait:           s.cfg.MaxWait,
		HeartbeatInterval: s.cfg.HeartbeatInterval,
		SessionTimeout:    s.cfg.SessionTimeout,
		RebalanceTimeout:  s.cfg.RebalanceTimeout,
		JoinGroupBackoff:  s.cfg.JoinGroupBackoff,
		// Zero CommitInterval makes CommitMessages synchronous: an Ack
		// returns after the offset is stored, not at some later tick.
		CommitInterval: 0,
		Logger:         kafkaLogger(log, slog.LevelDebug),
		ErrorLogger:    kafkaLogger(log, slog.LevelWarn),
	})
}

// readPartition feeds one partition, from its first offset, into recs.
func (s *Subscriber) readPartition(ctx context.Context, topic string, partition int, recs chan<- kafka.Message, log *slog.Logger) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     s.cfg.Brokers,
		Topic:       topic,
		Partition:   partition,
		MinBytes:    s.cfg.MinBytes,
		MaxBytes:    s.cfg.MaxBytes,
		MaxWait:     s.cfg.MaxWait,
		Logger:      kafkaLogger(log, slog.LevelDebug),
		ErrorLogger: kafkaLogger(log, slog.LevelWarn),
	})
	defer r.Close()
	for {
		rec, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("kafkabus: fetch failed, retrying", "partition", partition, "err", err)
			if !sleep(ctx, s.cfg.NackResendSleep) {
				return
			}
			continue
		}
		select {
		case recs <- rec:
		case <-ctx.Done():
			return
		}
	}
}

func (s *Subscriber) register(topic string, r *kafka.Reader) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readers[topic] == nil {
		s.readers[topic] = map[*kafka.Reader]bool{}
	}
	s.readers[topic][r] = true
}

func (s *Subscriber) unregister(topic string, r *kafka.Reader) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.readers[topic], r)
	if len(s.readers[topic]) == 0 {
		delete(s.readers, topic)
	}
}

// reader returns any live group reader of topic: all share one member
// generation's right to commit for the group.
func (s *Subscriber) reader(topic string) *kafka.Reader {
	s.mu.Lock()
	defer s.mu.Unlock()
	for r := range s.readers[topic] {
		return r
	}
	return nil
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
