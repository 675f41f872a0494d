// Package kafkastore is an eventstore.Store on one single-partition Kafka
// topic: a per-node, totally ordered replica of the journal that can be
// replayed without the node's disk. Position = offset + 1, gapless because
// nothing writes transactions or compacts the topic. Durability is that
// of acks=all. docs/kafka.md says what it is for and what it is not.
package kafkastore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/eventstore"
	"softswitch/eventstore/kafkalog"
)

var _ eventstore.Store = (*Store)(nil)

// partition is the only partition a store topic has.
const partition = 0

// Store implements eventstore.Store on a Kafka topic. It assumes it is the
// topic's only writer; other processes may read it.
type Store struct {
	cfg    Config
	logger *slog.Logger
	tr     *kafka.Transport
	client *kafka.Client

	reqs       chan *appendReq // unbuffered: a blocked sender is a queued Append
	closing    chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once

	// chain is the head of the topic's chain, owned by the writer
	// goroutine (and open, before it starts).
	chain writerChain

	head atomic.Uint64 // the partition's high-water mark = last position

	mu     sync.Mutex
	notify chan struct{} // closed and replaced whenever head moves
	closed bool
}

// Open connects to the topic, creating it unless SkipCreateTopic, and
// learns its end so that a reopened store continues where it stopped.
// ctx bounds Open only. A nil logger discards.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tr := &kafka.Transport{}
	s := &Store{
		cfg:        cfg,
		logger:     logger.With("component", "kafkastore", "topic", cfg.Topic),
		tr:         tr,
		client:     &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: tr},
		reqs:       make(chan *appendReq),
		closing:    make(chan struct{}),
		writerDone: make(chan struct{}),
		notify:     make(chan struct{}),
	}
	if err := s.open(ctx); err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	go s.run()
	s.logger.Info("kafkastore: opened", "head", s.head.Load())
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	if !s.cfg.SkipCreateTopic {
		err := kafkalog.CreateTopics(ctx, s.cfg.Brokers, kafka.TopicConfig{
			Topic: s.cfg.Topic, NumPartitions: 1, ReplicationFactor: s.cfg.Replication,
			ConfigEntries: []kafka.ConfigEntry{
				// Position = offset + 1 only while offset 0 is still there.
				{ConfigName: "retention.ms", ConfigValue: "-1"},
				{ConfigName: "retention.bytes", ConfigValue: "-1"},
				{ConfigName: "cleanup.policy", ConfigValue: "delete"},
				{ConfigName: "max.message.bytes", ConfigValue: fmt.Sprint(topicMaxMessageBytes)},
			},
		})
		if err != nil {
			return fmt.Errorf("kafkastore: %w", err)
		}
	}
	meta, err := s.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{s.cfg.Topic}})
	if err != nil {
		return fmt.Errorf("kafkastore: metadata of %s: %w", s.cfg.Topic, err)
	}
	if len(meta.Topics) != 1 || meta.Topics[0].Error != nil {
		return fmt.Errorf("kafkastore: topic %s: %v", s.cfg.Topic, topicErr(meta))
	}
	if n := len(meta.Topics[0].Partitions); n != 1 {
		return fmt.Errorf("%w: %s has %d", ErrNotSinglePartition, s.cfg.Topic, n)
	}
	hwm, err := s.endOffset(ctx)
	if err != nil {
		return err
	}
	s.head.Store(uint64(hwm))
	return s.learnHead(ctx)
}

func topicErr(meta *kafka.MetadataResponse) error {
	if len(meta.Topics) == 0 {
		return fmt.Errorf("not in metadata")
	}
	return meta.Topics[0].Error
}

// endOffset asks for the high-water mark: the offset the next record gets,
// which is also the position of the last one.
func (s *Store) endOffset(ctx context.Context) (int64, error) {
	res, err := s.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{s.cfg.Topic: {kafka.LastOffsetOf(partition)}},
	})
	if err != nil {
		return 0, fmt.Errorf("kafkastore: end offset of %s: %w", s.cfg.Topic, err)
	}
	for _, p := range res.Topics[s.cfg.Topic] {
		if p.Partition == partition {
			if p.Error != nil {
				return 0, fmt.Errorf("kafkastore: end offset of %s: %w", s.cfg.Topic, p.Error)
			}
			return p.LastOffset, nil
		}
	}
	return 0, fmt.Errorf("kafkastore: end offset of %s: partition %d missing from the answer", s.cfg.Topic, partition)
}

// Head returns the last acknowledged position, 0 when empty.
func (s *Store) Head() uint64 { return s.head.Load() }

// advance raises head to pos (never lowers it) and wakes waiters.
func (s *Store) advance(pos uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos <= s.head.Load() {
		return
	}
	s.head.Store(pos)
	if !s.closed {
		close(s.notify)
		s.notify = make(chan struct{})
	}
}

// WaitFor blocks until Head() >= pos, ctx ends, or the store closes. It
// also polls the broker every Follow, to see other writers' records.
func (s *Store) WaitFor(ctx context.Context, pos uint64) error {
	var tick <-chan time.Time
	for {
		if s.head.Load() >= pos {
			return nil
		}
		s.mu.Lock()
		ch, closed := s.notify, s.closed
		s.mu.Unlock()
		if closed {
			return eventstore.ErrClosed
		}
		if s.head.Load() >= pos {
			return nil
		}
		if tick == nil {
			t := time.NewTicker(s.cfg.Follow)
			defer t.Stop()
			tick = t.C
		}
		select {
		case <-ch:
		case <-tick:
			if hwm, err := s.endOffset(ctx); err == nil {
				s.advance(uint64(hwm))
			} else if ctx.Err() == nil {
				s.logger.Debug("kafkastore: follow", "err", err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close waits for the produce request in flight, then drops the
// connections. Appends still queued get ErrClosed. Later calls return
// eventstore.ErrClosed.
func (s *Store) Close() error {
	err := eventstore.ErrClosed
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.writerDone
		s.mu.Lock()
		s.closed = true
		close(s.notify)
		s.mu.Unlock()
		s.tr.CloseIdleConnections()
		s.logger.Info("kafkastore: closed", "head", s.head.Load())
		err = nil
	})
	return err
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
