package demo

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hotdash/drillbook/internal/pgcluster/pgclustertest"
)

func TestSeedFillsARealisticSchema(t *testing.T) {
	c := pgclustertest.Start(t)
	ctx := context.Background()
	size := SeedSize{Accounts: 3, Contacts: 50, Conversations: 80, Messages: 300}
	if err := Seed(ctx, c.DSN(), size); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for table, want := range map[string]int{"accounts": 3, "contacts": 50, "conversations": 80, "messages": 300} {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
	var newest time.Time
	if err := conn.QueryRow(ctx, "SELECT max(created_at) FROM messages").Scan(&newest); err != nil {
		t.Fatal(err)
	}
	if age := time.Since(newest); age < 30*time.Second || age > 5*time.Minute {
		t.Errorf("newest message is %v old, want about a minute", age)
	}
}
