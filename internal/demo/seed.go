// Package demo prepares what `drillbook demo` runs the audit against: a
// PostgreSQL database seeded with a realistic Chatwoot-like schema.
package demo

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SeedSize says how much data Seed generates.
type SeedSize struct {
	Accounts      int
	Contacts      int
	Conversations int
	Messages      int
}

// DefaultSeedSize is a few tens of MB: enough for a backup and a restore to
// take measurable time, small enough for the demo to stay under a minute.
var DefaultSeedSize = SeedSize{Accounts: 40, Contacts: 40_000, Conversations: 80_000, Messages: 240_000}

// seedSQL builds the schema; the data comes from generate_series on the
// server, so seeding costs no round trips per row.
const seedSQL = `
CREATE TABLE accounts (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE contacts (
  id bigserial PRIMARY KEY,
  account_id bigint NOT NULL,
  name text NOT NULL,
  email text,
  created_at timestamptz NOT NULL
);
CREATE TABLE conversations (
  id bigserial PRIMARY KEY,
  account_id bigint NOT NULL,
  contact_id bigint NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE messages (
  id bigserial PRIMARY KEY,
  conversation_id bigint NOT NULL,
  message_type smallint NOT NULL,
  content text NOT NULL,
  created_at timestamptz NOT NULL
);
`

// constraintsSQL adds the foreign keys and indexes once the data is in: one
// pass each instead of a check per inserted row.
const constraintsSQL = `
ALTER TABLE contacts ADD FOREIGN KEY (account_id) REFERENCES accounts(id);
ALTER TABLE conversations ADD FOREIGN KEY (account_id) REFERENCES accounts(id);
ALTER TABLE conversations ADD FOREIGN KEY (contact_id) REFERENCES contacts(id);
ALTER TABLE messages ADD FOREIGN KEY (conversation_id) REFERENCES conversations(id);
CREATE INDEX contacts_account ON contacts(account_id);
CREATE INDEX conversations_account_status ON conversations(account_id, status);
CREATE INDEX messages_conversation_created ON messages(conversation_id, created_at);
ANALYZE;
`

// Seed creates the schema and fills it. The newest message is about a
// minute old, like a live support inbox.
func Seed(ctx context.Context, dsn string, size SeedSize) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("seed: connect to the demo database: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, seedSQL); err != nil {
		return fmt.Errorf("seed: create schema: %w", err)
	}
	steps := []struct {
		what string
		sql  string
		n    int
	}{
		{"accounts", `INSERT INTO accounts(name, created_at)
			SELECT 'Account ' || i, now() - (i || ' days')::interval FROM generate_series(1, $1) i`, size.Accounts},
		{"contacts", `INSERT INTO contacts(account_id, name, email, created_at)
			SELECT 1 + i % $2, 'Contact ' || i, 'contact' || i || '@example.com', now() - ((i % 365) || ' days')::interval
			FROM generate_series(1, $1) i`, size.Contacts},
		{"conversations", `INSERT INTO conversations(account_id, contact_id, status, created_at, updated_at)
			SELECT 1 + i % $2, 1 + i % $3, (ARRAY['open','resolved','pending','snoozed'])[1 + i % 4],
			       now() - ((i % 90) || ' days')::interval, now() - ((i % 90) || ' hours')::interval
			FROM generate_series(1, $1) i`, size.Conversations},
		{"messages", `INSERT INTO messages(conversation_id, message_type, content, created_at)
			SELECT 1 + i % $2, i % 3,
			       'Hello, this is message ' || i || ' about order #' || (i * 7919 % 100000) || '. ' || repeat('Thanks for your patience. ', 1 + i % 4),
			       now() - interval '1 minute' - ((($1 - i) * 10) || ' seconds')::interval
			FROM generate_series(1, $1) i`, size.Messages},
	}
	for _, s := range steps {
		args := []any{s.n}
		switch s.what {
		case "contacts":
			args = append(args, size.Accounts)
		case "conversations":
			args = append(args, size.Accounts, size.Contacts)
		case "messages":
			args = append(args, size.Conversations)
		}
		if _, err := conn.Exec(ctx, s.sql, args...); err != nil {
			return fmt.Errorf("seed: %s: %w", s.what, err)
		}
	}
	if _, err := conn.Exec(ctx, constraintsSQL); err != nil {
		return fmt.Errorf("seed: constraints and indexes: %w", err)
	}
	return nil
}
