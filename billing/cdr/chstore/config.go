package chstore

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("chstore: invalid config")

// Defaults applied by setDefaults.
const (
	DefaultTable     = "cdr"
	DefaultStream    = "journal"
	DefaultBatchRows = 50_000
	defaultDatabase  = "default"
)

// Config says where the store lives.
type Config struct {
	// DSN is a clickhouse-go DSN: clickhouse://host:9000/db (native
	// protocol) or http://host:8123/db (HTTP). Both work against 18.16;
	// see docs/clickhouse.md.
	DSN string
	// Database holds the tables; empty takes the DSN's path, then
	// "default". Open creates it when missing.
	Database string
	// Table is the CDR table; the checkpoint table is Table+"_checkpoint".
	Table string
	// BatchRows caps the rows of one INSERT: Put splits larger batches,
	// so a replay of millions of records does not build one giant block
	// in memory. The checkpoint is written after the last one.
	BatchRows int
	// Stream names the checkpoint row, so several consumers (or logs)
	// can keep their positions in one table.
	Stream string
}

// identifier is what Database and Table may be: they are spliced into
// DDL and queries (ClickHouse cannot bind identifiers), so they are
// restricted rather than escaped.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

func (c *Config) setDefaults() error {
	if c.Database == "" && c.DSN != "" {
		opts, err := clickhouse.ParseDSN(c.DSN)
		if err != nil {
			return fmt.Errorf("%w: dsn: %v", ErrConfig, err) // the driver redacts the password
		}
		c.Database = strings.Trim(opts.Auth.Database, "/")
	}
	if c.Database == "" {
		c.Database = defaultDatabase
	}
	if c.Table == "" {
		c.Table = DefaultTable
	}
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.BatchRows == 0 {
		c.BatchRows = DefaultBatchRows
	}
	return nil
}

// Validate reports whether c, after defaults, can be used.
func (c Config) Validate() error {
	switch {
	case c.DSN == "":
		return fmt.Errorf("%w: dsn is required", ErrConfig)
	case !identifier.MatchString(c.Database):
		return fmt.Errorf("%w: database %q is not an identifier ([A-Za-z_][A-Za-z0-9_]*)", ErrConfig, c.Database)
	case !identifier.MatchString(c.Table):
		return fmt.Errorf("%w: table %q is not an identifier ([A-Za-z_][A-Za-z0-9_]*)", ErrConfig, c.Table)
	case c.BatchRows < 0:
		return fmt.Errorf("%w: batch rows %d < 0", ErrConfig, c.BatchRows)
	case c.Stream == "":
		return fmt.Errorf("%w: stream is required", ErrConfig)
	}
	return nil
}
