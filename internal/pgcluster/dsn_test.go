package pgcluster

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestDSNFor(t *testing.T) {
	tests := []struct {
		dbname string
		want   string
	}{
		{"postgres", "postgres://postgres:PW@127.0.0.1:5433/postgres?sslmode=disable"},
		{"my db", "postgres://postgres:PW@127.0.0.1:5433/my%20db?sslmode=disable"},
		{"x?y#z%", "postgres://postgres:PW@127.0.0.1:5433/x%3Fy%23z%25?sslmode=disable"},
		{"a/b", "postgres://postgres:PW@127.0.0.1:5433/a/b?sslmode=disable"},
		{"o'neil", "postgres://postgres:PW@127.0.0.1:5433/o%27neil?sslmode=disable"},
		{"scratch_ü", "postgres://postgres:PW@127.0.0.1:5433/scratch_%C3%BC?sslmode=disable"},
	}
	for _, tt := range tests {
		t.Run(tt.dbname, func(t *testing.T) {
			got := dsn("PW", 5433, tt.dbname)
			if got != tt.want {
				t.Errorf("dsn = %s, want %s", got, tt.want)
			}
			// Whatever the spelling, pgx must read back exactly what went in.
			cfg, err := pgx.ParseConfig(got)
			if err != nil {
				t.Fatalf("pgx cannot parse %s: %v", got, err)
			}
			if cfg.Database != tt.dbname || cfg.User != Superuser || cfg.Password != "PW" ||
				cfg.Host != host || cfg.Port != 5433 || cfg.TLSConfig != nil {
				t.Errorf("pgx parsed %s as db=%q user=%q password=%q host=%q port=%d tls=%v",
					got, cfg.Database, cfg.User, cfg.Password, cfg.Host, cfg.Port, cfg.TLSConfig != nil)
			}
		})
	}
}
