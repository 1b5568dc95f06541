package runbooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// infoString is a parsed fenced-code info string:
//
//	LANG [WORD...] [{ATTRIBUTES}]
//
// ATTRIBUTES are either key=value pairs separated by spaces or commas
// (values bare, "double-quoted" or 'single-quoted'; a bare key means true), or
// a JSON object as Runme writes them: {"id":"x","name":"y"}. The brace may
// follow the language or word with or without a space.
type infoString struct {
	Lang     string // lower case
	Words    []infoWord
	Attrs    []infoAttr
	Problems []infoProblem
}

type infoWord struct {
	Text string
	Off  int
}

type infoAttr struct {
	Key, Value string
	Off        int // byte offset of the key in the info string
}

type infoProblem struct {
	Off int
	Msg string
}

func isInfoSpace(c byte) bool { return c == ' ' || c == '\t' }

// parseInfo parses an info string. It never fails: malformed attributes
// become Problems.
func parseInfo(info string) infoString {
	var is infoString
	i := 0
	skip := func() {
		for i < len(info) && isInfoSpace(info[i]) {
			i++
		}
	}
	word := func() (string, int) {
		start := i
		for i < len(info) && !isInfoSpace(info[i]) && info[i] != '{' {
			i++
		}
		return info[start:i], start
	}
	skip()
	lang, _ := word()
	is.Lang = strings.ToLower(lang)
	for {
		skip()
		if i >= len(info) {
			return is
		}
		if info[i] == '{' {
			i = is.parseAttrs(info, i)
			skip()
			if i < len(info) {
				is.problem(i, fmt.Sprintf("text after the attributes is ignored: %q", info[i:]))
			}
			return is
		}
		w, off := word()
		is.Words = append(is.Words, infoWord{Text: w, Off: off})
	}
}

func (is *infoString) problem(off int, msg string) {
	is.Problems = append(is.Problems, infoProblem{Off: off, Msg: msg})
}

// parseAttrs parses the attribute block starting at info[start] == '{' and
// returns the offset just after it.
func (is *infoString) parseAttrs(info string, start int) int {
	j := start + 1
	for j < len(info) && isInfoSpace(info[j]) {
		j++
	}
	if j < len(info) && info[j] == '"' {
		return is.parseJSONAttrs(info, start)
	}
	i := start + 1
	for {
		for i < len(info) && (isInfoSpace(info[i]) || info[i] == ',') {
			i++
		}
		if i >= len(info) {
			is.problem(start, "attribute block is not closed: missing }")
			return i
		}
		if info[i] == '}' {
			return i + 1
		}
		keyOff := i
		for i < len(info) && !isInfoSpace(info[i]) && info[i] != '=' && info[i] != '}' && info[i] != ',' {
			i++
		}
		key := info[keyOff:i]
		if key == "" {
			is.problem(keyOff, "attribute with no name before =")
			key = ""
		}
		if i >= len(info) || info[i] != '=' {
			is.Attrs = append(is.Attrs, infoAttr{Key: key, Value: "true", Off: keyOff})
			continue
		}
		i++ // '='
		var value string
		var ok bool
		value, i, ok = attrValue(info, i)
		if !ok {
			is.problem(keyOff, fmt.Sprintf("attribute %s: quoted value is not closed", key))
			return len(info)
		}
		if key != "" {
			is.Attrs = append(is.Attrs, infoAttr{Key: key, Value: value, Off: keyOff})
		}
	}
}

// attrValue reads a bare or quoted value at info[i].
func attrValue(info string, i int) (value string, next int, ok bool) {
	if i < len(info) && (info[i] == '"' || info[i] == '\'') {
		q := info[i]
		var b strings.Builder
		for i++; i < len(info); i++ {
			c := info[i]
			switch {
			case c == '\\' && i+1 < len(info) && (info[i+1] == q || info[i+1] == '\\'):
				b.WriteByte(info[i+1])
				i++
			case c == q:
				return b.String(), i + 1, true
			default:
				b.WriteByte(c)
			}
		}
		return "", i, false
	}
	start := i
	for i < len(info) && !isInfoSpace(info[i]) && info[i] != '}' && info[i] != ',' {
		i++
	}
	return info[start:i], i, true
}

// parseJSONAttrs parses a Runme-style JSON object, keeping key order.
func (is *infoString) parseJSONAttrs(info string, start int) int {
	rest := info[start:]
	dec := json.NewDecoder(strings.NewReader(rest))
	dec.UseNumber()
	fail := func(err error) int {
		is.problem(start, fmt.Sprintf("malformed JSON attributes: %v", err))
		return len(info)
	}
	if _, err := dec.Token(); err != nil { // '{'
		return fail(err)
	}
	for dec.More() {
		keyOff := start + int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		key, _ := tok.(string)
		if k := strings.IndexByte(rest[keyOff-start:], '"'); k >= 0 {
			keyOff += k
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fail(err)
		}
		is.Attrs = append(is.Attrs, infoAttr{Key: key, Value: jsonAttrValue(raw), Off: keyOff})
	}
	if _, err := dec.Token(); err != nil { // '}'
		return fail(err)
	}
	return start + int(dec.InputOffset())
}

// jsonAttrValue turns a JSON value into attribute text: strings unquoted,
// anything else compact JSON.
func jsonAttrValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) == nil {
		return b.String()
	}
	return string(raw)
}
