// Package bench holds benchmarks that print `name: value` figures. They are
// not timed tests: run them with `go test ./bench -run '^$' -bench . -benchtime 1x`.
package bench
