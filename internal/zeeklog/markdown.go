package zeeklog

import (
	"fmt"
	"strings"
)

// Markdown documents every log as Markdown: per log, a table of its fields in order with their Zeek types and
// where each value comes from (the generated part of docs/ZEEK.md).
func Markdown() string {
	var b strings.Builder
	for _, l := range logs {
		fmt.Fprintf(&b, "### %s.log\n\n%s\n\n| field | type | from the %s table |\n|---|---|---|\n", l.Name(), l.Description(), l.TableName())
		for _, f := range l.FieldInfos() {
			var from string
			switch {
			case f.Unset:
				from = "**always unset**"
			case f.Computed:
				from = "computed"
			default:
				from = "`" + f.Column + "`"
			}
			if f.Doc != "" {
				from += ": " + f.Doc
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.Name, f.Type, strings.ReplaceAll(from, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	return b.String()
}
