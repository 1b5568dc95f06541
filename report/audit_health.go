package report

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/hotdash/drillbook/runs"
)

// healthName is what the summary calls a health step: its id without
// "-health" ("chatwoot-health" -> Chatwoot), else its URL's host.
func healthName(s runs.StepProgress) string {
	name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(s.ID, "-health"), "_health"), "health")
	if name == "" {
		if u, err := url.Parse(healthURL(s)); err == nil && u.Host != "" {
			name = u.Host
		} else {
			name = s.ID
		}
	}
	return capitalize(name)
}

// healthNames names each health step (by id) after its endpoint's host:
// the shortest healthName among the steps checking that host, so that
// "staging-health" and "staging-rails-health" are both Staging.
func healthNames(steps []runs.StepProgress) map[string]string {
	best, key := map[string]string{}, map[string]string{}
	for _, s := range steps {
		k := s.ID
		if u, err := url.Parse(healthURL(s)); err == nil && u.Host != "" {
			k = u.Host
		}
		key[s.ID] = k
		if n, ok := best[k]; !ok || len(healthName(s)) < len(n) {
			best[k] = healthName(s)
		}
	}
	names := map[string]string{}
	for id, k := range key {
		names[id] = best[k]
	}
	return names
}

// healthURL is the URL a health step checked, from its table's title.
func healthURL(s runs.StepProgress) string {
	if s.Result != nil {
		for _, t := range s.Result.Tables {
			if u, ok := strings.CutPrefix(t.Title, "Health: "); ok {
				return u
			}
		}
	}
	return ""
}

// healthChecks are a health step's body expectations: "queue ok, data ok"
// (the field without "_services", then the value found).
func healthChecks(s runs.StepProgress) []string {
	var out []string
	if s.Result == nil {
		return nil
	}
	for _, t := range s.Result.Tables {
		if !strings.HasPrefix(t.Title, "Health: ") {
			continue
		}
		for _, r := range t.Rows {
			if len(r) >= 3 && r[0] != "(status)" && r[2] != "" {
				out = append(out, strings.TrimSuffix(r[0], "_services")+" "+orDefault(r[1], "missing"))
			}
		}
	}
	return out
}

// healthHeadline: "Chatwoot 4.6.0: queue ok, data ok; Staging has no health
// endpoint (/hc and /rails/health answer 404)". Steps of one name are told together.
func healthHeadline(steps []runs.StepProgress) string {
	var names []string
	missing, said := map[string][]string{}, map[string][]string{}
	named := healthNames(steps)
	for _, s := range steps {
		if s.Action != "http.health" {
			continue
		}
		name := named[s.ID]
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		status := output(s, "status")
		switch {
		case s.Status != runs.StatusSucceeded || s.Result == nil:
			said[name] = append(said[name], name+": check "+whyNot(s))
		case status == "404":
			path := "/"
			if u, err := url.Parse(healthURL(s)); err == nil && u.Path != "" {
				path = u.Path
			}
			missing[name] = append(missing[name], path)
		default:
			head := name
			if v := output(s, "version"); v != "" {
				head += " " + v
			}
			checks := healthChecks(s)
			switch {
			case len(checks) > 0:
				said[name] = append(said[name], head+": "+strings.Join(checks, ", "))
			case output(s, "pass") == "true":
				said[name] = append(said[name], head+" ok ("+status+")")
			default:
				said[name] = append(said[name], head+" answers "+status)
			}
		}
	}
	var parts []string
	for _, name := range names {
		parts = append(parts, said[name]...)
		if paths := missing[name]; len(paths) > 0 {
			verb := "answers"
			if len(paths) > 1 {
				verb = "answer"
			}
			parts = append(parts, fmt.Sprintf("%s has no health endpoint (%s %s 404)", name, joinAnd(paths), verb))
		}
	}
	return orDefault(strings.Join(parts, "; "), "no health checks")
}

// writeHealth writes one row per health check: endpoint, status, version,
// body checks and the verdict.
func writeHealth(b *strings.Builder, a *audit) {
	b.WriteString("## Health Endpoints\n\n")
	steps := a.byAction("http.health")
	if len(steps) == 0 {
		b.WriteString("_This run has no health checks._\n\n")
		return
	}
	b.WriteString("| Endpoint | HTTP status | Version | Checks | Result |\n|---|---:|---|---|---|\n")
	named := healthNames(steps)
	for _, s := range steps {
		endpoint := text(named[s.ID])
		if u := healthURL(s); u != "" {
			endpoint += " " + cellCode(u)
		}
		result := IconSucceeded + " healthy"
		switch {
		case s.Status != runs.StatusSucceeded || s.Result == nil:
			result = IconFailed + " " + text(whyNot(s))
		case output(s, "pass") != "true":
			worst := "unhealthy"
			rank := len(severities)
			for _, f := range s.Result.Findings {
				if r := severityRank(f.Severity); r < rank {
					rank, worst = r, f.Title
				}
			}
			icon := IconWarning
			if rank <= 1 {
				icon = IconFailed
			}
			result = icon + " " + text(worst)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", endpoint, text(orDefault(output(s, "status"), "—")),
			text(orDefault(output(s, "version"), "—")), text(orDefault(strings.Join(healthChecks(s), ", "), "—")), result)
	}
	b.WriteString("\n")
}
