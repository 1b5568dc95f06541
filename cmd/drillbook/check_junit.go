package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters):
// one <testsuite> with one <testcase> per probe target and health check.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func junitSeconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// writeJUnit writes cases to path as JUnit XML (through a temporary file,
// so that a CI step never reads half a report).
func writeJUnit(path string, cases []checkCase, took time.Duration, start time.Time) error {
	suite := junitSuite{Name: "drillbook check", Tests: len(cases), Time: junitSeconds(took),
		Timestamp: start.UTC().Format("2006-01-02T15:04:05")}
	for _, c := range cases {
		jc := junitCase{Name: c.Name, Classname: c.Class, Time: junitSeconds(c.Time), SystemOut: c.Detail}
		switch {
		case c.Error:
			suite.Errors++
			jc.Error = &junitProblem{Message: c.Message, Type: "error", Text: c.Detail}
		case !c.Pass:
			suite.Failures++
			jc.Failure = &junitProblem{Message: c.Message, Type: "check", Text: c.Detail}
		}
		suite.Cases = append(suite.Cases, jc)
	}
	doc := junitSuites{Name: suite.Name, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Time: suite.Time, Suites: []junitSuite{suite}}
	data, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	data = append([]byte(xml.Header), append(data, '\n')...)
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
