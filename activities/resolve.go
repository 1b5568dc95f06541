package activities

import (
	"net/url"
	"os"
	"regexp"
	"strings"
)

// envRefRE matches ${env.NAME} inside a value.
var envRefRE = regexp.MustCompile(`\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}`)

// getenv reads the worker's environment through a.Env (os.Getenv when unset).
func (a *Activities) getenv(name string) string {
	if a.Env == nil {
		return os.Getenv(name)
	}
	return a.Env(name)
}

// resolveRef resolves a value inside the worker: `env:NAME` becomes the
// variable's value, and every ${env.NAME} in it is replaced. fromEnv says
// whether anything was read from the environment. Resolved values must
// never leave the worker: not in results, errors or logs.
func (a *Activities) resolveRef(v string) (resolved string, fromEnv bool) {
	if name, ok := strings.CutPrefix(v, "env:"); ok {
		return a.getenv(strings.TrimSpace(name)), true
	}
	if !strings.Contains(v, "${env.") {
		return v, false
	}
	return envRefRE.ReplaceAllStringFunc(v, func(m string) string {
		fromEnv = true
		return a.getenv(envRefRE.FindStringSubmatch(m)[1])
	}), fromEnv
}

// secretForms returns the forms of a secret value worth redacting: the value
// itself and, when it is a connection string, the password inside it (as
// written and decoded), which tools print on their own.
func secretForms(v string) []string {
	forms := []string{v}
	if u, err := url.Parse(v); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			forms = append(forms, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	for _, f := range strings.Fields(v) { // key=value connection strings
		if pw, ok := strings.CutPrefix(f, "password="); ok {
			forms = append(forms, pw, strings.Trim(pw, `'`))
		}
	}
	return forms
}
