package bench

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// barPair is one comparison of the chart: the fast path (cache, hit) against the slow one
// (store, miss) of one comparison.
type barPair struct {
	title      string
	fastName   string
	slowName   string
	fast, slow float64 // nanoseconds
	original   float64 // the original's ratio; 0 for none
	noRatio    bool    // the fast and the slow case were not a hit and a miss
}

func pairs(r *Report) []barPair {
	var out []barPair
	if c := r.Component; c != nil {
		out = append(out,
			barPair{title: "component, present id", fastName: "cache", slowName: "store", fast: c.CachePresentNS, slow: c.StorePresentNS, original: r.Original.PresentSpeedup},
			barPair{title: "component, absent id", fastName: "cache", slowName: "store", fast: c.CacheAbsentNS, slow: c.StoreAbsentNS, original: r.Original.AbsentSpeedup})
	}
	if s := r.Service; s != nil {
		out = append(out, barPair{title: "service Get", fastName: "hit", slowName: "miss", fast: s.HitNS, slow: s.MissNS, original: r.Original.PresentSpeedup})
	}
	h := r.HTTP
	out = append(out,
		barPair{title: "HTTP GET p50", fastName: "hit", slowName: "miss", fast: h.HitP50us * 1e3, slow: h.MissP50us * 1e3, original: r.Original.PresentSpeedup, noRatio: !h.Compared()},
		barPair{title: "HTTP GET p99", fastName: "hit", slowName: "miss", fast: h.HitP99us * 1e3, slow: h.MissP99us * 1e3, noRatio: !h.Compared()})
	return out
}

// WriteSVG draws r as a bar chart: for each comparison, the time of the
// fast path and of the slow one, scaled to the slower, with the ratio and
// the original's beside them.
func WriteSVG(w io.Writer, r *Report) error {
	const (
		width, left, barW = 760, 190, 420
		barH, gap, top    = 22, 24, 84
		group             = 2*barH + 40 + gap
	)
	ps := pairs(r)
	height := top + len(ps)*group
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="17" font-weight="bold">imagerepo bench: fetching one image by id</text>`+"\n", 16)
	sub := fmt.Sprintf("%s, %d cores, %s; %d images", r.Machine.CPU, r.Machine.Cores, r.Machine.Go, r.Fixture.Images)
	fmt.Fprintf(&b, `<text x="16" y="50" fill="#555">%s</text>`+"\n", html.EscapeString(sub))
	y := top
	for _, p := range ps {
		max := p.slow
		if p.fast > max {
			max = p.fast
		}
		fmt.Fprintf(&b, `<text x="16" y="%d" font-weight="bold">%s</text>`+"\n", y, html.EscapeString(p.title))
		for i, bar := range []struct {
			name, class, color string
			v                  float64
		}{{p.fastName, "bar fast", "#2b7bb9", p.fast}, {p.slowName, "bar slow", "#e07b39", p.slow}} {
			by := y + 6 + i*barH
			wd := 0.0
			if max > 0 {
				wd = float64(barW) * bar.v / max
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, by+barH-8, bar.name)
			fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %s</title></rect>`+"\n",
				bar.class, left, by+2, wd, barH-4, bar.color, html.EscapeString(p.title), bar.name, dur(bar.v))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(left)+wd+6, by+barH-8, dur(bar.v))
		}
		label := times(ratio(p.slow, p.fast))
		if p.noRatio {
			label = "no ratio: the cases were not a hit and a miss (X-Cache)"
		} else if p.original > 0 {
			label += fmt.Sprintf(" (original %.1fx)", p.original)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#333">%s</text>`+"\n", left, y+2*barH+24, html.EscapeString(label))
		y += group
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
