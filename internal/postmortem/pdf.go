package postmortem

import (
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

// PDF page geometry, in millimetres (A4 portrait).
const (
	pdfMargin   = 15.0
	pdfWidth    = 210.0 - 2*pdfMargin
	pdfLineH    = 5.0
	pdfCellLine = 3.8
	// pdfMaxCellLines caps the lines of one table cell; more are cut.
	pdfMaxCellLines = 40
)

// pdfWriter renders a Document with fpdf's core fonts (Helvetica), whose
// encoding is Windows-1252: characters outside it print as ".".
type pdfWriter struct {
	f  *fpdf.Fpdf
	tr func(string) string
}

// pdfText replaces the characters of Vigil's own texts that Windows-1252
// lacks before translation.
var pdfText = strings.NewReplacer("→", "->", "≤", "<=", "≥", ">=")

// WritePDF writes d as a PDF document: A4, the timeline chart drawn with
// lines and circles, tables wrapped to the page, page numbers in the
// footer. The creation date is d.Generated, so the same document gives
// the same bytes.
func WritePDF(w io.Writer, d Document) error {
	f := fpdf.New("P", "mm", "A4", "")
	p := &pdfWriter{f: f, tr: f.UnicodeTranslatorFromDescriptor("")}
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(true, pdfMargin)
	f.SetCatalogSort(true)
	f.SetCreationDate(d.Generated)
	f.SetModificationDate(d.Generated)
	f.SetTitle(d.Title, true)
	f.SetCreator("Vigil", true)
	f.AliasNbPages("")
	f.SetFooterFunc(func() {
		f.SetY(-10)
		f.SetFont("Helvetica", "", 8)
		f.SetTextColor(110, 110, 110)
		f.CellFormat(0, 4, p.text(d.Title+"  ·  page "+fmt.Sprint(f.PageNo())+" of {nb}"), "",
			0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	f.SetFont("Helvetica", "B", 15)
	f.MultiCell(0, 7, p.text(d.Title), "", "L", false)
	f.SetFont("Helvetica", "", 9)
	if d.Subtitle != "" {
		f.MultiCell(0, pdfLineH, p.text(d.Subtitle), "", "L", false)
	}
	f.MultiCell(0, pdfLineH, p.text("Generated "+utc(d.Generated)+" by Vigil."), "", "L",
		false)
	for _, s := range d.Sections {
		p.section(s)
	}
	if err := f.Error(); err != nil {
		return fmt.Errorf("render pdf: %w", err)
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

// text converts s to the fonts' encoding.
func (p *pdfWriter) text(s string) string { return p.tr(pdfText.Replace(s)) }

// room starts a new page unless h millimetres fit on this one.
func (p *pdfWriter) room(h float64) {
	_, pageH := p.f.GetPageSize()
	if p.f.GetY()+h > pageH-pdfMargin {
		p.f.AddPage()
	}
}

func (p *pdfWriter) section(s Section) {
	f := p.f
	p.room(20)
	f.Ln(3)
	size := 12.5
	if s.Level == 3 {
		size = 11
	}
	f.SetFont("Helvetica", "B", size)
	f.MultiCell(0, 6.5, p.text(s.Title), "", "L", false)
	f.SetFont("Helvetica", "", 9.5)
	for _, t := range s.Text {
		f.MultiCell(0, pdfLineH, p.text(t), "", "L", false)
		f.Ln(1)
	}
	for _, fl := range s.Fields {
		f.SetFont("Helvetica", "B", 9.5)
		f.CellFormat(42, pdfLineH, p.text(fl.Name), "", 0, "L", false, 0, "")
		f.SetFont("Helvetica", "", 9.5)
		f.MultiCell(0, pdfLineH, p.text(fl.Value), "", "L", false)
	}
	for _, item := range s.List {
		f.SetX(pdfMargin + 3)
		f.MultiCell(pdfWidth-3, pdfLineH, p.text("- "+item), "", "L", false)
	}
	if s.Chart != nil {
		p.chart(s.Chart)
	}
	if s.Table != nil {
		p.table(s.Table)
	}
}

// chart draws the timeline chart across the page.
func (p *pdfWriter) chart(c *Chart) {
	f := p.f
	l := layoutChart(c, pdfWidth, 7)
	p.room(l.H + 2)
	x0, y0 := pdfMargin, f.GetY()+1
	f.SetLineWidth(0.2)
	f.SetFont("Helvetica", "", 6.5)
	for _, b := range l.Bands {
		f.SetFillColor(b.Color.R, b.Color.G, b.Color.B)
		f.Rect(x0+b.X0, y0+l.Top-l.LaneH*0.9, b.X1-b.X0, l.Bottom-l.Top+l.LaneH*0.9, "F")
		f.SetTextColor(60, 60, 60)
		if label := p.text(b.Phase); f.GetStringWidth(label)+1 <= b.X1-b.X0 {
			f.Text(x0+b.X0+0.5, y0+l.Top-l.LaneH*0.35, label)
		}
	}
	f.SetDrawColor(200, 200, 200)
	f.SetFont("Helvetica", "", 7.5)
	f.SetTextColor(30, 30, 30)
	for _, ln := range l.Lanes {
		f.Line(x0+l.Left, y0+ln.Y, x0+l.Right, y0+ln.Y)
		label := p.text(string(ln.Kind))
		f.Text(x0+l.Left-2-f.GetStringWidth(label), y0+ln.Y+1.2, label)
	}
	f.SetDrawColor(60, 60, 60)
	f.Line(x0+l.Left, y0+l.Bottom, x0+l.Right, y0+l.Bottom)
	f.SetFont("Helvetica", "", 6.5)
	for _, t := range l.Ticks {
		f.Line(x0+t.X, y0+l.Bottom, x0+t.X, y0+l.Bottom+1.2)
		label := p.text(t.Label)
		f.Text(x0+t.X-f.GetStringWidth(label)/2, y0+l.Bottom+4, label)
	}
	axis := p.text(l.Axis)
	f.Text(x0+l.Right-f.GetStringWidth(axis), y0+l.Bottom+8, axis)
	f.SetDrawColor(255, 255, 255)
	for _, pt := range l.Points {
		f.SetFillColor(pt.Color.R, pt.Color.G, pt.Color.B)
		f.Circle(x0+pt.X, y0+pt.Y, 1.3, "FD")
	}
	f.SetDrawColor(0, 0, 0)
	f.SetTextColor(0, 0, 0)
	f.SetY(y0 + l.H + 2)
}

// table draws t with wrapped cells, repeating the head on a new page.
func (p *pdfWriter) table(t *Table) {
	f := p.f
	widths := make([]float64, len(t.Head))
	total := 0.0
	for i := range widths {
		widths[i] = 1
		if i < len(t.Widths) {
			widths[i] = t.Widths[i]
		}
		total += widths[i]
	}
	for i := range widths {
		widths[i] *= pdfWidth / total
	}
	f.SetLineWidth(0.15)
	f.SetDrawColor(180, 180, 180)
	p.row(t.Head, widths, true)
	for _, r := range t.Rows {
		if p.row(r, widths, false) {
			p.row(t.Head, widths, true)
			p.row(r, widths, false)
		}
	}
	f.SetDrawColor(0, 0, 0)
	f.Ln(2)
}

// row draws one row; when it does not fit, it starts a new page instead
// and reports true (the caller draws the head and the row again).
func (p *pdfWriter) row(cells []string, widths []float64, head bool) bool {
	f := p.f
	style := ""
	if head {
		style = "B"
	}
	f.SetFont("Helvetica", style, 8)
	lines := make([][]string, len(widths))
	n := 1
	for i := range widths {
		c := ""
		if i < len(cells) {
			c = pdfText.Replace(cells[i])
		}
		lines[i] = f.SplitText(c, widths[i]-1)
		if len(lines[i]) > pdfMaxCellLines {
			lines[i] = append(lines[i][:pdfMaxCellLines-1], "…")
		}
		n = max(n, len(lines[i]))
	}
	h := float64(n)*pdfCellLine + 1.6
	_, pageH := f.GetPageSize()
	if !head && f.GetY()+h > pageH-pdfMargin {
		f.AddPage()
		return true
	}
	x, y := pdfMargin, f.GetY()
	for i, w := range widths {
		if head {
			f.SetFillColor(236, 240, 245)
			f.Rect(x, y, w, h, "FD")
		} else {
			f.Rect(x, y, w, h, "D")
		}
		for j, line := range lines[i] {
			f.Text(x+0.8, y+0.8+pdfCellLine*(float64(j)+0.8), p.tr(line))
		}
		x += w
	}
	f.SetY(y + h)
	return false
}
