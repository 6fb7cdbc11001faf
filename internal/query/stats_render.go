package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
)

// RenderOptions configure RenderText.
type RenderOptions struct {
	// Escape makes text from the captures safe to print; nil leaves it as it is.
	Escape func(string) string
	// ShowSQL prints each section's query above its table.
	ShowSQL bool
	// BarWidth is the width of the longest inline bar in characters; 0 means 24, negative means no bars.
	BarWidth int
}

// RenderText writes the report as titled, aligned tables with inline bars.
func (rep *Report) RenderText(w io.Writer, opts RenderOptions) error {
	esc := opts.Escape
	if esc == nil {
		esc = func(s string) string { return s }
	}
	barWidth := opts.BarWidth
	if barWidth == 0 {
		barWidth = 24
	}
	var b strings.Builder
	for i, s := range rep.Sections {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("## " + s.Title + "\n")
		if opts.ShowSQL && s.Query != "" {
			b.WriteString("\n")
			for _, line := range strings.Split(s.Query, "\n") {
				b.WriteString("    " + line + "\n")
			}
			b.WriteString("\n")
		}
		if s.Skipped != "" {
			b.WriteString("(skipped: " + s.Skipped + ")\n")
			continue
		}
		if len(s.Rows) == 0 {
			b.WriteString("(no rows)\n")
			continue
		}
		if s.Vertical {
			width := 0
			for _, c := range s.Columns {
				width = max(width, len(c.Name))
			}
			for j, c := range s.Columns {
				fmt.Fprintf(&b, "%-*s  %s\n", width, esc(c.Name), esc(formatValue(s.Rows[0][j])))
			}
			continue
		}
		header := make([]string, 0, len(s.Columns)+1)
		right := make([]bool, 0, len(s.Columns)+1)
		barCol := -1
		for j, c := range s.Columns {
			header = append(header, esc(c.Name))
			right = append(right, isNumericType(c.Type) || strings.HasPrefix(c.Type, "DECIMAL"))
			if c.Name == s.Bar && barWidth > 0 {
				barCol = j
			}
		}
		var peak float64
		if barCol >= 0 {
			header = append(header, "")
			right = append(right, false)
			for _, row := range s.Rows {
				if v, ok := toFloat(row[barCol]); ok {
					peak = math.Max(peak, v)
				}
			}
		}
		body := make([][]string, len(s.Rows))
		for r, row := range s.Rows {
			cells := make([]string, 0, len(row)+1)
			for _, v := range row {
				t := esc(formatValue(v))
				if utf8.RuneCountInString(t) > 60 {
					t = string([]rune(t)[:59]) + "…"
				}
				cells = append(cells, t)
			}
			if barCol >= 0 {
				v, _ := toFloat(row[barCol])
				cells = append(cells, bar(v, peak, barWidth))
			}
			body[r] = cells
		}
		renderGrid(&b, header, body, right, false)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// bar draws v as a bar of at most width characters, where peak gets the full width.
func bar(v, peak float64, width int) string {
	if peak <= 0 || v <= 0 {
		return ""
	}
	eighths := int(math.Round(v / peak * float64(width*8)))
	if eighths == 0 {
		eighths = 1
	}
	partial := []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}
	return strings.Repeat("█", eighths/8) + partial[eighths%8]
}

// RenderJSON writes the report as one JSON object: {"interval_s", "rows", "approximate", "sample_every",
// "sections": [{"name", "title", "sql",
// "columns": [{"name", "type"}], "rows": [{column: value, ...}], "skipped"}]}. Timestamps are RFC 3339 strings with
// nanoseconds, blobs are text with \xHH escapes, and NaN or infinite numbers are null.
func (rep *Report) RenderJSON(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(`{"interval_s":`)
	b.WriteString(formatJSONFloat(rep.Interval.Seconds()))
	fmt.Fprintf(&b, `,"rows":%d,"approximate":%t,"sample_every":%d`, rep.Rows, rep.Approximate, max(rep.SampleEvery, 1))
	b.WriteString(`,"sections":[`)
	for i, s := range rep.Sections {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n{")
		writeJSONField(&b, "name", s.Name)
		b.WriteString(",")
		writeJSONField(&b, "title", s.Title)
		b.WriteString(",")
		writeJSONField(&b, "sql", s.Query)
		if s.Skipped != "" {
			b.WriteString(",")
			writeJSONField(&b, "skipped", s.Skipped)
		}
		cols, _ := json.Marshal(s.Columns)
		if s.Columns == nil {
			cols = []byte("[]")
		}
		b.WriteString(`,"columns":`)
		b.Write(cols)
		b.WriteString(`,"rows":[`)
		for r, row := range s.Rows {
			if r > 0 {
				b.WriteString(",")
			}
			b.WriteString("{")
			for j, v := range row {
				if j > 0 {
					b.WriteString(",")
				}
				k, _ := json.Marshal(s.Columns[j].Name)
				b.Write(k)
				b.WriteString(":")
				b.WriteString(jsonValue(v))
			}
			b.WriteString("}")
		}
		b.WriteString("]}")
	}
	b.WriteString("\n]}\n")
	_, err := w.Write(b.Bytes())
	return err
}

func writeJSONField(b *bytes.Buffer, k, v string) {
	kb, _ := json.Marshal(k)
	vb, _ := json.Marshal(v)
	b.Write(kb)
	b.WriteString(":")
	b.Write(vb)
}

// jsonValue renders one value as JSON.
func jsonValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return formatJSONFloat(x)
	case float32:
		return formatJSONFloat(float64(x))
	case *big.Int:
		return x.String()
	case time.Time:
		s, _ := json.Marshal(x.UTC().Format(time.RFC3339Nano))
		return string(s)
	case []byte:
		s, _ := json.Marshal(blobText(x))
		return string(s)
	case string:
		s, _ := json.Marshal(x)
		return string(s)
	}
	if i, ok := toInt(v); ok {
		return fmt.Sprint(i)
	}
	if f, ok := toFloat(v); ok {
		return formatJSONFloat(f)
	}
	s, _ := json.Marshal(formatValue(v))
	return string(s)
}

func formatJSONFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	b, _ := json.Marshal(f)
	return string(b)
}
