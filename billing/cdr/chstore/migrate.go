package chstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// migrations are the schema, one statement per file, applied in file name
// order. The number before the first "_" is the version recorded in
// schema_migrations; never edit an applied file, add a new one.
//
//go:embed migrations/*.sql
var migrations embed.FS

type migration struct {
	version uint32
	name    string
	sql     string
}

// loadMigrations reads fsys's migrations/*.sql and fills in the database
// and table names (validated identifiers: ClickHouse cannot bind those).
func loadMigrations(fsys fs.FS, database, table string) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	r := strings.NewReplacer("{database}", QuoteIdent(database), "{table}", table)
	var ms []migration
	for _, path := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.ParseUint(num, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("chstore: migration %s: no version number: %w", path, err)
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: uint32(v), name: name, sql: r.Replace(string(b))})
	}
	return ms, nil
}

// Migrate creates the database and applies fsys's migrations/*.sql not yet
// recorded for table ({database} and {table} in them are replaced). Every
// statement is IF NOT EXISTS, so two processes opening a new database at
// once both succeed; at worst a version is recorded twice, which the read
// below tolerates. The CDR table's migrations are this package's; other
// projections in the database bring their own (dialer/stats/chstats).
func Migrate(ctx context.Context, conn driver.Conn, fsys fs.FS, database, table string, log *slog.Logger) error {
	ms, err := loadMigrations(fsys, database, table)
	if err != nil {
		return err
	}
	db := QuoteIdent(database)
	bootstrap := []string{
		"CREATE DATABASE IF NOT EXISTS " + db,
		// target is the CDR table the row belongs to: Config.Table lets
		// several stores share a database, each with its own history.
		"CREATE TABLE IF NOT EXISTS " + db + ".schema_migrations (" +
			"target String, version UInt32, name String, applied_at DateTime" +
			") ENGINE = ReplacingMergeTree ORDER BY (target, version)",
	}
	for _, q := range bootstrap {
		if err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("chstore: bootstrap schema: %w", err)
		}
	}
	applied := map[uint32]bool{}
	rows, err := conn.Query(ctx, "SELECT DISTINCT version FROM "+db+".schema_migrations WHERE target = ?", table)
	if err != nil {
		return fmt.Errorf("chstore: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("chstore: read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("chstore: read schema_migrations: %w", err)
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if err := conn.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("chstore: migration %s: %w", m.name, err)
		}
		if err := record(ctx, conn, db, table, m); err != nil {
			return fmt.Errorf("chstore: record migration %s: %w", m.name, err)
		}
		log.Info("applied ClickHouse migration", "database", database, "table", table, "migration", m.name)
	}
	return nil
}

// record notes m as applied. It goes through a batch: 18.16 never answers
// an INSERT ... VALUES sent as a plain query by this driver (the server
// waits for a data block the client never sends).
func record(ctx context.Context, conn driver.Conn, db, table string, m migration) error {
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".schema_migrations (target, version, name, applied_at)")
	if err != nil {
		return err
	}
	defer batch.Abort() //nolint:errcheck // a no-op after Send
	if err := batch.Append(table, m.version, m.name, time.Now()); err != nil {
		return err
	}
	return batch.Send()
}

// QuoteIdent backquotes an identifier that Validate already restricted to
// [A-Za-z0-9_], so no escaping is needed.
func QuoteIdent(s string) string { return "`" + s + "`" }
