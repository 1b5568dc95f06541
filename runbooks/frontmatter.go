package runbooks

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// frontMatter is what drillbook reads from the YAML front matter. Other keys
// (Hugo's weight, Runme's runme: ...) are ignored.
type frontMatter struct {
	ID, Title string
	Inputs    []Input
}

// inputFields are the keys an input mapping may hold.
var inputFields = []string{"default", "secret", "required", "description"}

// splitFrontMatter finds YAML front matter: a first line `---`, then YAML up
// to a line `---` or `...`. It returns the YAML text and the offset where the
// Markdown starts, or ok=false if the source has no front matter.
func splitFrontMatter(src []byte) (yamlText []byte, body int, ok bool) {
	if !bytes.HasPrefix(src, []byte("---\n")) && !bytes.HasPrefix(src, []byte("--- \n")) {
		return nil, 0, false
	}
	start := bytes.IndexByte(src, '\n') + 1
	for off := start; off < len(src); {
		end := bytes.IndexByte(src[off:], '\n')
		if end < 0 {
			end = len(src) - off
		}
		line := bytes.TrimRight(src[off:off+end], " \t")
		if string(line) == "---" || string(line) == "..." {
			return src[start:off], min(off+end+1, len(src)), true
		}
		off += end + 1
	}
	return nil, 0, false
}

// parseFrontMatter reads the front matter at the start of src. It returns
// the Markdown offset (0 without front matter) and reports problems through
// diag, with file positions (the YAML starts on line 2).
func parseFrontMatter(src []byte, diag func(line, col int, sev Severity, rule, msg string)) (frontMatter, int) {
	var fm frontMatter
	text, body, ok := splitFrontMatter(src)
	if !ok {
		return fm, 0
	}
	const first = 1 // YAML line 1 is file line 2
	root, err := parseYAML(text)
	if err != nil {
		ye := err.(*yamlError)
		diag(max(ye.Line, 1)+first, max(ye.Col, 1), SeverityError, "front-matter", "front matter: "+ye.Msg)
		return fm, body
	}
	if root == nil {
		return fm, body
	}
	if root.Kind != yaml.MappingNode {
		// `---` followed by text and another `---` is Markdown (a thematic
		// break and a setext heading), not front matter.
		return fm, 0
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "id", "title":
			if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
				diag(v.Line+first, v.Column, SeverityError, "front-matter", fmt.Sprintf("front matter: %s must be a string", k.Value))
				continue
			}
			if k.Value == "id" {
				fm.ID = strings.TrimSpace(v.Value)
			} else {
				fm.Title = strings.TrimSpace(v.Value)
			}
		case "inputs":
			fm.Inputs = parseInputs(v, first, diag)
		}
	}
	return fm, body
}

func parseInputs(n *yaml.Node, first int, diag func(line, col int, sev Severity, rule, msg string)) []Input {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		diag(n.Line+first, n.Column, SeverityError, "front-matter", "front matter: inputs must be a mapping of name to {default, secret, required, description}")
		return nil
	}
	var inputs []Input
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		in := Input{Name: k.Value, Line: k.Line + first}
		if seen[in.Name] {
			diag(k.Line+first, k.Column, SeverityError, "front-matter", fmt.Sprintf("input %q is declared twice", in.Name))
			continue
		}
		seen[in.Name] = true
		if v.Kind != yaml.MappingNode {
			// Shorthand: `name: value` is the default.
			val, err := yamlToValue(v)
			if err != nil {
				ye := err.(*yamlError)
				diag(ye.Line+first, ye.Col, SeverityError, "front-matter", fmt.Sprintf("input %s: %s", in.Name, ye.Msg))
			}
			in.Default = val
			inputs = append(inputs, in)
			continue
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			fk, fv := v.Content[j], v.Content[j+1]
			line, col := fk.Line+first, fk.Column
			switch fk.Value {
			case "default":
				val, err := yamlToValue(fv)
				if err != nil {
					ye := err.(*yamlError)
					diag(ye.Line+first, ye.Col, SeverityError, "front-matter", fmt.Sprintf("input %s: %s", in.Name, ye.Msg))
				}
				in.Default = val
			case "secret", "required":
				var b bool
				if fv.Kind != yaml.ScalarNode || fv.ShortTag() != "!!bool" || fv.Decode(&b) != nil {
					diag(fv.Line+first, fv.Column, SeverityError, "bad-value", fmt.Sprintf("input %s: %s must be true or false, not %q", in.Name, fk.Value, fv.Value))
				}
				if fk.Value == "secret" {
					in.Secret = b
				} else {
					in.Required = b
				}
			case "description":
				if fv.Kind != yaml.ScalarNode {
					diag(fv.Line+first, fv.Column, SeverityError, "bad-value", fmt.Sprintf("input %s: description must be a string", in.Name))
					continue
				}
				in.Description = fv.Value
			default:
				msg := fmt.Sprintf("input %s: unknown field %q", in.Name, fk.Value)
				if s := didYouMean(fk.Value, inputFields); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				} else {
					msg += " (fields: " + strings.Join(inputFields, ", ") + ")"
				}
				diag(line, col, SeverityError, "unknown-field", msg)
			}
		}
		inputs = append(inputs, in)
	}
	return inputs
}
