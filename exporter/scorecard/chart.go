package scorecard

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"time"
)

// Chart size in CSS pixels. The PNG is drawn at twice that so it stays
// sharp on high-density screens.
const (
	ChartWidth  = 120
	ChartHeight = 28
	chartScale  = 2
)

var chartPalette = color.Palette{
	color.RGBA{0xff, 0xff, 0xff, 0xff}, // background
	color.RGBA{0xb6, 0xd4, 0xfe, 0xff}, // bars before the reported week
	color.RGBA{0x09, 0x69, 0xda, 0xff}, // bars of the reported week
	color.RGBA{0xcf, 0x22, 0x2e, 0xff}, // target line
	color.RGBA{0xd0, 0xd7, 0xde, 0xff}, // no value
}

const (
	cBackground = iota
	cEarlier
	cRecent
	cTarget
	cMissing
)

// Chart draws a row's series as a small bar chart PNG: one bar per point,
// the points after recentFrom in a stronger colour, the value target (if
// any) as a dashed red line, and points without a value as grey ticks on
// the base line. It returns nil when the row has no point with a value.
//
// The scale starts a little below the smallest value rather than at zero,
// so that small moves of ratios near 100% stay visible; the table next to
// the chart carries the numbers.
func Chart(r Row, recentFrom time.Time) ([]byte, error) {
	pts := r.Series
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		if p.OK && !math.IsNaN(p.Value) && !math.IsInf(p.Value, 0) {
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		}
	}
	if math.IsInf(lo, 1) {
		return nil, nil
	}
	t := r.KPI.Target
	if t.HasValueTarget() {
		lo, hi = math.Min(lo, t.Value), math.Max(hi, t.Value)
	}
	span := hi - lo
	if span == 0 {
		span = math.Max(math.Abs(hi), 1)
	}
	base := lo - 0.2*span
	top := hi + 0.05*span

	w, h := ChartWidth*chartScale, ChartHeight*chartScale
	img := image.NewPaletted(image.Rect(0, 0, w, h), chartPalette)
	y := func(v float64) int { return h - 1 - int(math.Round((v-base)/(top-base)*float64(h-1))) }
	n := len(pts)
	slot := float64(w) / float64(n)
	gap := 1
	if slot >= 6 {
		gap = 2
	}
	for i, p := range pts {
		x0 := int(math.Round(float64(i) * slot))
		x1 := int(math.Round(float64(i+1)*slot)) - gap
		if x1 <= x0 {
			x1 = x0 + 1
		}
		if !p.OK || math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			fill(img, x0, h-2*chartScale, x1, h, cMissing)
			continue
		}
		c := uint8(cEarlier)
		if !p.Time.Before(recentFrom) {
			c = cRecent
		}
		fill(img, x0, y(p.Value), x1, h, c)
	}
	if t.HasValueTarget() {
		ty := y(t.Value)
		for x := 0; x < w; x += 8 {
			fill(img, x, ty-1, x+5, ty+1, cTarget)
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("chart %s: %w", r.KPI.ID, err)
	}
	return buf.Bytes(), nil
}

func fill(img *image.Paletted, x0, y0, x1, y1 int, c uint8) {
	r := image.Rect(x0, y0, x1, y1).Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetColorIndex(x, y, c)
		}
	}
}

// ChartAlt is the chart's text alternative: "4 weeks: 7.1 to 8.7".
func ChartAlt(r Row) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range r.Series {
		if p.OK {
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		}
	}
	if math.IsInf(lo, 1) {
		return "no data"
	}
	return fmt.Sprintf("trend: %s to %s", fmtUnit(r, lo), fmtUnit(r, hi))
}

// Sparkline renders the series with block characters for the text form.
func Sparkline(pts []Point) string {
	const blocks = "▁▂▃▄▅▆▇█"
	runes := []rune(blocks)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		if p.OK {
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		}
	}
	if math.IsInf(lo, 1) {
		return ""
	}
	out := make([]rune, 0, len(pts))
	for _, p := range pts {
		if !p.OK {
			out = append(out, ' ')
			continue
		}
		i := 0
		if hi > lo {
			i = int(math.Round((p.Value - lo) / (hi - lo) * float64(len(runes)-1)))
		}
		out = append(out, runes[i])
	}
	return string(out)
}
