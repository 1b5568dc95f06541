package runs

// ReportPaths says where a run's report was written: each artifact's path
// is relative to the artifacts directory, with its size and SHA-256.
type ReportPaths struct {
	Markdown Artifact `json:"markdown"`
	HTML     Artifact `json:"html"`
}
