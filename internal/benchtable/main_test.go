package main

import (
	"math"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/scrterm/scr/client
cpu: AMD EPYC
BenchmarkParseSummary/GetScrBundle-2         	    1620	    700000 ns/op	  74.30 MB/s	  190000 B/op	    1327 allocs/op
BenchmarkParseSummary/GetScrBundle-2         	    1620	    720000 ns/op	  72.30 MB/s	  190000 B/op	    1327 allocs/op
BenchmarkParseSummary/GetScrBundle-2         	    1620	   1300000 ns/op	  40.00 MB/s	  190000 B/op	    1327 allocs/op
BenchmarkParseSummary/GetScrBundle-2         	    1620	    710000 ns/op	  73.30 MB/s	  190000 B/op	    1327 allocs/op
PASS
ok  	github.com/scrterm/scr/client	5.1s
pkg: github.com/scrterm/scr/ui
BenchmarkEnterToSummary/loopback-2 	  300	 3500000 ns/op	 3.5 ms-viewer	 0.76 ms-2-raw-fetches	 4.6 ratio	 2.4 ms-own-work
BenchmarkEnterToSummary/loopback-2 	  300	 3500000 ns/op	 3.4 ms-viewer	 0.76 ms-2-raw-fetches	 4.4 ratio	 2.2 ms-own-work
BenchmarkScrollFrame/80x24-2 	 5000	  250000 ns/op	 0.76 ms-p99	 3 frobs/op	 1000 B/op	 10 allocs/op
BenchmarkScrollFrame/80x24-2 	 5000	  260000 ns/op	 0.80 ms-p99	 5 frobs/op	 1000 B/op	 10 allocs/op
BenchmarkScrollFrame/80x24-2 	 5000	  240000 ns/op	 5.10 ms-p99	 4 frobs/op	 1000 B/op	 10 allocs/op
BenchmarkSomethingNew-8 	 10	 2000000 ns/op	 7 widgets	 1.5 ms-tail
BenchmarkSomethingNew-8 	 10	 4000000 ns/op	 9 widgets	 2.5 ms-tail
--- BENCH: BenchmarkSomethingNew-8
    bench_test.go:1: BenchmarkSomethingNew is a log line
BenchmarkDemoPeakRSS 	 1	 9000000000 ns/op	 31.2 MB-peak-RSS
`

func TestParse(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ParseSummary/GetScrBundle", "EnterToSummary/loopback", "ScrollFrame/80x24", "SomethingNew", "DemoPeakRSS"}
	if strings.Join(res.order, ",") != strings.Join(want, ",") {
		t.Fatalf("benchmarks %q, want %q", res.order, want)
	}
	if res.cpu != "AMD EPYC" {
		t.Errorf("cpu %q", res.cpu)
	}
	if n := res.runs["ParseSummary/GetScrBundle"]; n != 4 {
		t.Errorf("%d runs of GetScrBundle, want 4", n)
	}
	if got := res.vals["ScrollFrame/80x24"]["frobs/op"]; len(got) != 3 || got[1] != 5 {
		t.Errorf("frobs/op %v", got)
	}
	if got := strings.Join(res.units["EnterToSummary/loopback"], ","); got != "ns/op,ms-viewer,ms-2-raw-fetches,ratio,ms-own-work" {
		t.Errorf("units %s", got)
	}
}

func TestParseRejectsBadValue(t *testing.T) {
	if _, err := parse(strings.NewReader("BenchmarkX-2 10 abc ns/op\n")); err == nil {
		t.Error("no error for a value that is not a number")
	}
}

func TestMedianP99(t *testing.T) {
	for _, tc := range []struct {
		xs       []float64
		med, p99 float64
	}{
		{[]float64{3}, 3, 3},
		{[]float64{5, 1, 3}, 3, 5},
		{[]float64{4, 1, 3, 2}, 2.5, 4},
		{[]float64{0.7, 0.72, 1.3, 0.71, 0.69, 0.70}, 0.705, 1.3},
	} {
		if got := median(tc.xs); math.Abs(got-tc.med) > 1e-9 {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.med)
		}
		if got := p99(tc.xs); got != tc.p99 {
			t.Errorf("p99(%v) = %v, want %v", tc.xs, got, tc.p99)
		}
	}
	// With 200 runs, nearest rank 198: the second largest.
	xs := make([]float64, 200)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	if got := p99(xs); got != 198 {
		t.Errorf("p99 of 1..200 = %v, want 198", got)
	}
	if !math.IsNaN(median(nil)) || !math.IsNaN(p99(nil)) {
		t.Error("no runs gives a number")
	}
}

func TestTable(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	out := table(res, rows)
	line := func(prefix string) string {
		for l := range strings.SplitSeq(out, "\n") {
			if strings.HasPrefix(l, "| "+prefix) {
				return l
			}
		}
		t.Fatalf("no row %q in\n%s", prefix, out)
		return ""
	}
	for _, tc := range []struct{ row, want string }{
		// ns/op in ms; p99 over the runs (the slowest of 4), marked †; budget 1 ms.
		{"parse `GetScrBundle.json`", "| 0.715 ms | 1.3 ms † | median < 1 ms: met | — |"},
		// The ratio; the baseline in the notes.
		{"NHS number to summary vs two raw GETs, loopback", "| 3.45 ms | 3.5 ms † | — | 4.5× | 2 raw GETs 0.76 ms;"},
		// A second row from the same benchmark, its own metric and budget.
		{"NHS number to summary, the viewer's own work", "| 2.3 ms | 2.4 ms † | median ≤ 2 ms: **missed** | — | the consent read"},
		// The benchmark's own p99, the median over runs; an unknown metric in the notes.
		{"scroll frame, 9000000130, 80×24", "| 0.25 ms | 0.8 ms | p99 < 4 ms: met | — | 4 frobs/op |"},
		{"peak RSS", "| 31.2 MB | 31.2 MB † | median < 60 MB: met |"},
		// An unknown benchmark, passed through with all its metrics.
		{"SomethingNew", "| SomethingNew | 3 ms | 4 ms † | — | — | 8 widgets; tail 2 ms |"},
	} {
		if l := line(tc.row); !strings.Contains(l, tc.want) {
			t.Errorf("row %q:\n got %s\nwant …%s…", tc.row, l, tc.want)
		}
	}
	if strings.Contains(out, "B/op") || strings.Contains(out, "MB/s") {
		t.Errorf("go test's own metrics in a known row's notes:\n%s", out)
	}
	if strings.Contains(out, "sign with PIN") {
		t.Errorf("a row with no results:\n%s", out)
	}
	if !strings.Contains(out, "CPU: AMD EPYC") {
		t.Errorf("no CPU line:\n%s", out)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		unit string
		v    float64
		want string
	}{
		{"ns/op", 350000, "0.35 ms"},
		{"ns/op", 2.8e6, "2.8 ms"},
		{"ns/op", 1.2346e9, "1235 ms"},
		{"ms-p99", 0.0123, "0.0123 ms"},
		{"median-ms", 12.34, "12.3 ms"},
		{"MB-peak-RSS", 31.04, "31 MB"},
		{"ratio", 1.084, "1.08×"},
		{"ratio-3-raw", 1.05, "1.05×"},
		{"apdus/op", 3, "3"},
		{"B/op", 190000, "190 KB/op"},
		{"widgets", 0, "0 widgets"},
		{"ns/op", math.NaN(), "—"},
	} {
		if got := format(tc.unit, tc.v); got != tc.want {
			t.Errorf("format(%q, %v) = %q, want %q", tc.unit, tc.v, got, tc.want)
		}
	}
}
