package runbooks

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// yamlError is a YAML problem at a line and column of the YAML text.
type yamlError struct {
	Line, Col int // 1-based within the YAML text; 0 if unknown
	Msg       string
}

func (e *yamlError) Error() string { return e.Msg }

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses text into a document node. A syntax error comes back as a
// *yamlError with the line yaml.v3 names. yaml.v3 is not trusted to never
// panic on hostile input, so a panic becomes an error too.
func parseYAML(text []byte) (doc *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, &yamlError{Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	var n yaml.Node
	if err := yaml.Unmarshal(text, &n); err != nil {
		return nil, yamlSyntaxError(err.Error(), text)
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return n.Content[0], nil
	}
	return nil, nil // empty document
}

// yamlParserErrors are the messages of yaml.v3's parser (as opposed to its
// scanner). yaml.v3 reports a parser error at the 0-based line where the
// construct began, and a scanner error at the 1-based line of the problem.
var yamlParserErrors = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected '-' indicator", "did not find expected <document start>",
	"did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive",
	"found duplicate %YAML directive", "found incompatible YAML document",
	"found undefined tag handle",
}

// yamlSyntaxError turns a yaml.v3 error message into a yamlError with a
// 1-based line within text (clamped to its last line).
func yamlSyntaxError(msg string, text []byte) *yamlError {
	line, rest := 0, trimYAMLPrefix(msg)
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		rest = m[2]
	}
	for _, p := range yamlParserErrors {
		if rest == p {
			line++
			break
		}
	}
	lines := bytes.Count(text, []byte{'\n'})
	if len(text) > 0 && text[len(text)-1] != '\n' {
		lines++
	}
	return &yamlError{Line: min(max(line, 1), max(lines, 1)), Msg: rest}
}

func trimYAMLPrefix(msg string) string {
	const p = "yaml: "
	if len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return msg
}

// yamlToValue converts a node into plain values that encoding/json can
// always encode: map[string]any, []any, string, int, float64, bool, nil.
// Timestamps and non-finite floats stay as written (strings); anchors and
// aliases are refused, which also rules out alias bombs.
func yamlToValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlToValue(n.Content[0])
	case yaml.AliasNode:
		return nil, &yamlError{Line: n.Line, Col: n.Column, Msg: "YAML aliases (*name) are not supported here"}
	case yaml.SequenceNode:
		if n.Anchor != "" {
			return nil, anchorError(n)
		}
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlToValue(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		if n.Anchor != "" {
			return nil, anchorError(n)
		}
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, &yamlError{Line: k.Line, Col: k.Column, Msg: "mapping keys must be plain strings"}
			}
			if _, dup := out[k.Value]; dup {
				return nil, &yamlError{Line: k.Line, Col: k.Column, Msg: fmt.Sprintf("key %q appears twice", k.Value)}
			}
			val, err := yamlToValue(v)
			if err != nil {
				return nil, err
			}
			out[k.Value] = val
		}
		return out, nil
	default:
		if n.Anchor != "" {
			return nil, anchorError(n)
		}
		return yamlScalar(n), nil
	}
}

func anchorError(n *yaml.Node) error {
	return &yamlError{Line: n.Line, Col: n.Column, Msg: "YAML anchors (&name) are not supported here"}
}

// yamlScalar resolves a scalar the way YAML 1.2 core schema does, keeping
// anything JSON cannot hold as its text.
func yamlScalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!str":
		return n.Value
	case "!!null":
		return nil
	case "!!int", "!!bool", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return n.Value
		}
		switch v := v.(type) {
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return n.Value
			}
		case uint64: // beyond int64: keep the digits
			return n.Value
		}
		return v
	case "!!timestamp":
		return n.Value
	default: // !!binary and custom tags: the text as written
		var s string
		if n.Decode(&s) == nil {
			return s
		}
		return n.Value
	}
}

// describeValue names a value's YAML type for messages.
func describeValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", v)
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case int, int64:
		return fmt.Sprintf("integer %v", v)
	case float64:
		return fmt.Sprintf("number %v", v)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case time.Time:
		return "a timestamp"
	default:
		return fmt.Sprintf("%T", v)
	}
}
