package activities

import (
	"bytes"
	"io"
	"slices"
	"strings"
)

// Redacted replaces every secret value in output, logs, tails and error
// messages.
const Redacted = "***"

// MinSecretLen is the shortest value that is redacted. Shorter values ("1",
// "on", "dev") occur everywhere in ordinary output: replacing them would make
// logs unreadable while hiding nothing worth hiding.
const MinSecretLen = 4

// redactor replaces secret values with Redacted, leftmost-longest first.
// The zero value (and a redactor without secrets) changes nothing.
type redactor struct {
	secrets [][]byte // longest first
	maxLen  int
}

// newRedactor returns a redactor for the given values; values shorter than
// MinSecretLen and duplicates are ignored.
func newRedactor(values ...string) *redactor {
	r := &redactor{}
	seen := map[string]bool{}
	for _, v := range values {
		if len(v) < MinSecretLen || seen[v] {
			continue
		}
		seen[v] = true
		r.secrets = append(r.secrets, []byte(v))
	}
	slices.SortFunc(r.secrets, func(a, b []byte) int {
		if c := len(b) - len(a); c != 0 {
			return c
		}
		return bytes.Compare(a, b)
	})
	if len(r.secrets) > 0 {
		r.maxLen = len(r.secrets[0])
	}
	return r
}

// with returns a redactor that also redacts values.
func (r *redactor) with(values ...string) *redactor {
	all := make([]string, 0, len(r.secrets)+len(values))
	for _, s := range r.secrets {
		all = append(all, string(s))
	}
	return newRedactor(append(all, values...)...)
}

// String returns s with every secret replaced.
func (r *redactor) String(s string) string {
	if r == nil || len(r.secrets) == 0 {
		return s
	}
	var b strings.Builder
	w := r.Writer(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Flush()
	return b.String()
}

// Writer returns a writer that redacts what it passes on to w. Secrets that
// span two writes are redacted too: the writer holds back the bytes that may
// begin a secret until the next write or Flush.
func (r *redactor) Writer(w io.Writer) *redactWriter {
	return &redactWriter{r: r, w: w}
}

// redactWriter streams through a redactor; call Flush at the end.
type redactWriter struct {
	r     *redactor
	w     io.Writer
	carry []byte
}

// Write redacts p (with what was held back) and writes what is certain.
// It reports len(p) on success: held-back bytes count as written.
func (rw *redactWriter) Write(p []byte) (int, error) {
	if rw.r == nil || len(rw.r.secrets) == 0 {
		return rw.w.Write(p)
	}
	buf := append(rw.carry, p...)
	rw.carry = nil
	if err := rw.process(buf, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush redacts and writes the held-back bytes: the stream ended, so no
// more input can complete a secret they begin.
func (rw *redactWriter) Flush() error {
	if len(rw.carry) == 0 {
		return nil
	}
	buf := rw.carry
	rw.carry = nil
	return rw.process(buf, true)
}

// process writes buf redacted, holding back (unless final) the tail that may
// begin a secret completed by the next write.
func (rw *redactWriter) process(buf []byte, final bool) error {
	var out bytes.Buffer
	for {
		hold := len(buf)
		if !final {
			hold = rw.r.partialStart(buf)
		}
		j, n := rw.r.firstMatch(buf)
		if n == 0 || j >= hold {
			out.Write(buf[:hold])
			rw.carry = append([]byte(nil), buf[hold:]...)
			break
		}
		out.Write(buf[:j])
		out.WriteString(Redacted)
		buf = buf[j+n:]
	}
	if out.Len() == 0 {
		return nil
	}
	_, err := rw.w.Write(out.Bytes())
	return err
}

// firstMatch returns the offset and length of the leftmost, then longest,
// complete secret in buf; n is 0 when there is none.
func (r *redactor) firstMatch(buf []byte) (j, n int) {
	j = -1
	for _, s := range r.secrets {
		i := bytes.Index(buf, s)
		if i >= 0 && (j < 0 || i < j) { // secrets are longest first: ties keep the longer
			j, n = i, len(s)
		}
	}
	if j < 0 {
		return 0, 0
	}
	return j, n
}

// partialStart returns the offset of the first byte of buf's tail that is a
// proper prefix of some secret (so more input may complete it), or len(buf).
func (r *redactor) partialStart(buf []byte) int {
	for i := max(0, len(buf)-r.maxLen+1); i < len(buf); i++ {
		rest := buf[i:]
		for _, s := range r.secrets {
			if len(s) > len(rest) && bytes.HasPrefix(s, rest) {
				return i
			}
		}
	}
	return len(buf)
}
