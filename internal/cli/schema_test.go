package cli

import (
	"os"
	"testing"
)

// docs/SCHEMA.md is generated from the schema definitions; it must not drift from them.
func TestSchemaDocUpToDate(t *testing.T) {
	got, err := os.ReadFile("../../docs/SCHEMA.md")
	if err != nil {
		t.Fatalf("read docs/SCHEMA.md: %v (generate it with: go run ./cmd/pcapframe schema --markdown > docs/SCHEMA.md)", err)
	}
	if string(got) != SchemaMarkdown() {
		t.Errorf("docs/SCHEMA.md is out of date: regenerate it with: go run ./cmd/pcapframe schema --markdown > docs/SCHEMA.md")
	}
}
