package postmortem

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// mdSpecial are the characters escaped in Markdown text so that people's
// text cannot make links, HTML, emphasis or table cells.
var mdSpecial = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`,
	"]", `\]`, "<", `&lt;`, ">", `&gt;`, "|", `\|`, "#", `\#`, "!", `\!`)

// md escapes s for Markdown text; line breaks become spaces when inline.
func md(s string, inline bool) string {
	s = mdSpecial.Replace(s)
	if inline {
		s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " / ")), " ")
	}
	return s
}

// WriteMarkdown writes d as Markdown (CommonMark with GitHub tables). The
// timeline chart is an SVG image in a data URI, followed by the table of
// entries.
func WriteMarkdown(w io.Writer, d Document) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", md(d.Title, true))
	if d.Subtitle != "" {
		fmt.Fprintf(&b, "%s\n\n", md(d.Subtitle, true))
	}
	fmt.Fprintf(&b, "Generated %s by Vigil.\n\n", utc(d.Generated))
	for _, s := range d.Sections {
		fmt.Fprintf(&b, "%s %s\n\n", strings.Repeat("#", max(s.Level, 2)), md(s.Title, true))
		for _, p := range s.Text {
			fmt.Fprintf(&b, "%s\n\n", md(p, false))
		}
		for _, f := range s.Fields {
			fmt.Fprintf(&b, "- **%s:** %s\n", md(f.Name, true), md(f.Value, true))
		}
		if len(s.Fields) > 0 {
			b.WriteString("\n")
		}
		for _, item := range s.List {
			fmt.Fprintf(&b, "- %s\n", md(item, true))
		}
		if len(s.List) > 0 {
			b.WriteString("\n")
		}
		if s.Chart != nil {
			svg := base64.StdEncoding.EncodeToString([]byte(s.Chart.SVG(900)))
			fmt.Fprintf(&b, "![Timeline chart](data:image/svg+xml;base64,%s)\n\n", svg)
		}
		if s.Table != nil {
			writeMarkdownTable(&b, s.Table)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdownTable(b *strings.Builder, t *Table) {
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			fmt.Fprintf(b, " %s |", md(c, true))
		}
		b.WriteString("\n")
	}
	row(t.Head)
	b.WriteString("|" + strings.Repeat("---|", len(t.Head)) + "\n")
	for _, r := range t.Rows {
		row(r)
	}
	b.WriteString("\n")
}
