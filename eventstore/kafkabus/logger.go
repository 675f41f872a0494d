package kafkabus

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/segmentio/kafka-go"
)

// kafkaLogger routes kafka-go's printf logging into logger. kafka-go logs
// every fetch and rebalance step at its info level, so that goes to Debug;
// its error logger reports retried failures, so that goes to Warn.
func kafkaLogger(logger *slog.Logger, level slog.Level) kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...any) {
		// Background: kafka-go gives no context, and the handler only
		// uses it for values.
		if logger.Enabled(context.Background(), level) {
			logger.Log(context.Background(), level, fmt.Sprintf(format, args...))
		}
	})
}

func orDiscard(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return logger
}
