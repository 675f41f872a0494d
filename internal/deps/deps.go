package deps
import (
 _ "github.com/segmentio/kafka-go"
 _ "github.com/ClickHouse/clickhouse-go/v2"
 _ "github.com/ThreeDotsLabs/watermill/pubsub/tests"
)
