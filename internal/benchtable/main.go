// Command benchtable reads the output of go test -bench (from the files
// named, or standard input) and prints one Markdown table: for each
// benchmark, the median and p99 over its runs (-count), the budget it is
// held to and whether it met it, and the ratio to its baseline where one is
// measured in the same run. make bench runs it on bench.out.
//
// The rows scr has budgets for are described in rows, in the order of the
// table; any other benchmark is passed through after them, named as it is,
// with its ns/op and every other metric. A metric no row names (a new custom
// metric) is passed through in the row's notes.
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	var inputs []io.Reader
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
		defer f.Close()
		inputs = append(inputs, f)
	}
	if len(inputs) == 0 {
		inputs = append(inputs, os.Stdin)
	}
	res, err := parse(io.MultiReader(inputs...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(res.order) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results in the input")
		os.Exit(1)
	}
	fmt.Print(table(res, rows))
}

// results are the samples of each benchmark's metrics, one per run.
type results struct {
	cpu   string
	order []string                        // benchmark names, as first seen
	runs  map[string]int                  // result lines per benchmark
	units map[string][]string             // each benchmark's metrics, as first seen
	vals  map[string]map[string][]float64 // benchmark → unit → one value per run
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads go test -bench output: "BenchmarkName-N  iterations  value
// unit  value unit ...". Other lines are skipped, but for "cpu:". The
// GOMAXPROCS suffix is dropped from names.
func parse(r io.Reader) (*results, error) {
	res := &results{runs: map[string]int{}, units: map[string][]string{}, vals: map[string]map[string][]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if cpu, ok := strings.CutPrefix(line, "cpu: "); ok && res.cpu == "" {
			res.cpu = strings.TrimSpace(cpu)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue // a log line that happens to start with Benchmark
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		if _, seen := res.vals[name]; !seen {
			res.order = append(res.order, name)
			res.vals[name] = map[string][]float64{}
		}
		res.runs[name]++
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: value %q: %v", f[0], f[i], err)
			}
			unit := f[i+1]
			if _, ok := res.vals[name][unit]; !ok {
				res.units[name] = append(res.units[name], unit)
			}
			res.vals[name][unit] = append(res.vals[name][unit], v)
		}
	}
	return res, sc.Err()
}

// median is the middle value, or the mean of the middle two.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// p99 is the 99th percentile by nearest rank: with fewer than 100 runs, the
// largest.
func p99(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	return s[int(math.Ceil(0.99*float64(len(s))))-1]
}

// A row is one line of the table, from one benchmark.
type row struct {
	bench string // the benchmark's name, without "Benchmark" and GOMAXPROCS
	label string
	// metric is the one shown: its median over the runs, and its p99 over
	// the runs unless p99 is set.
	metric string
	// p99, when set, is a metric the benchmark computes over its own
	// iterations (ms-p99); the median of it over the runs is shown as p99.
	p99   string
	ratio string // a metric shown as the ratio to a baseline
	// notes are metrics shown in the notes, with their labels.
	notes  []note
	budget *budget
	note   string // said after the notes
}

type note struct{ metric, label string }

// A budget is met when the shown median (or p99, or ratio) is below max
// (or at most max, when inclusive), in the units shown (ms, MB, ×).
type budget struct {
	of        string // "median", "p99" or "ratio"
	max       float64
	inclusive bool
	text      string
}

// under is a budget of "median < max unit" (or p99).
func under(of string, max float64, unit string) *budget {
	return &budget{of: of, max: max, text: fmt.Sprintf("%s < %g %s", of, max, unit)}
}

// rows are the table's rows, issue by issue (README "Speed").
var rows = []row{
	{bench: "StartToFirstFrame/demo", label: "start to first frame: `scr --demo --card` in tmux, exec → first frame", metric: "ms-median", p99: "ms-p99",
		notes: []note{{"ms-to-passcode", "passcode screen"}}, budget: &budget{of: "median", max: 30, inclusive: true, text: "median ≤ 30 ms"}},
	{bench: "StartToFirstFrame/pcscd", label: "start to first frame: `scr` against scr-sandbox, card in the reader through pcscd", metric: "ms-median", p99: "ms-p99",
		notes: []note{{"ms-to-passcode", "passcode screen"}}, budget: &budget{of: "median", max: 30, inclusive: true, text: "median ≤ 30 ms"}},
	{bench: "CardToPasscode", label: "card insert (scr-vcard, SIGUSR1) to passcode screen, through pcscd", metric: "ms-median", p99: "ms-p99",
		notes: []note{{"ms-pcscd", "pcscd reports the card"}}, note: "pcscd polls vpcd about every 0.4 s"},
	{bench: "PCSCSignWithPIN", label: "sign with PIN through pcscd + vpcd (P-256)", metric: "median-ms",
		notes: []note{{"apdus/op", "APDUs"}}, budget: under("median", 5, "ms")},
	{bench: "PasscodeToRoles", label: "passcode to role list (virtual card in-process, loopback sandbox)", metric: "ms-median", p99: "ms-p99",
		notes: []note{{"apdus/op", "APDUs"}, {"round-trips/op", "HTTP round trips"}}},
	{bench: "EnterToSummary/loopback", label: "NHS number to summary vs two raw GETs, loopback", metric: "ms-viewer", p99: "ms-p99", ratio: "ratio",
		notes: []note{{"ms-2-raw-fetches", "2 raw GETs"}, {"ms-3-raw-requests", "the 2 GETs and the privacy alert raw"}, {"ratio-3-raw", "ratio to those"}},
		note:  "loopback: what is left over the raw requests is the viewer's own work (the next row)"},
	{bench: "EnterToSummary/loopback", label: "NHS number to summary, the viewer's own work: loopback less the 3 raw requests", metric: "ms-own-work",
		notes:  []note{{"ms-3-raw-requests", "3 raw requests"}},
		budget: &budget{of: "median", max: 2, inclusive: true, text: "median ≤ 2 ms"},
		note:   "the consent read, parsing, layout and drawing"},
	{bench: "EnterToSummary/rtt-20ms", label: "NHS number to summary vs two raw GETs, 20 ms RTT", metric: "ms-viewer", p99: "ms-p99", ratio: "ratio",
		notes:  []note{{"ms-2-raw-fetches", "2 raw GETs"}, {"ms-3-raw-requests", "the 2 GETs and the privacy alert raw"}, {"ratio-3-raw", "ratio to those"}},
		budget: &budget{of: "ratio", max: 1.12, inclusive: true, text: "ratio ≤ 1.12×"},
		note:   "the permission alert goes beside the Bundle: two round trips, as the baseline"},
	{bench: "ParseSummary/GetScrBundle", label: "parse `GetScrBundle.json` (52 KB)", metric: "ns/op", budget: under("median", 1, "ms")},
	{bench: "ParseSummary/9000000130", label: "parse the very large record (78 KB)", metric: "ns/op", budget: under("median", 5, "ms")},
	{bench: "SummaryRender/normal/80x24", label: "summary first frame (layout), 9000000009, 80×24", metric: "ns/op", p99: "ms-p99"},
	{bench: "SummaryRender/normal/200x60", label: "summary first frame (layout), 9000000009, 200×60", metric: "ns/op", p99: "ms-p99"},
	{bench: "SummaryRender/large/80x24", label: "summary first frame (layout), 9000000130, 80×24", metric: "ns/op", p99: "ms-p99"},
	{bench: "SummaryRender/large/200x60", label: "summary first frame (layout), 9000000130, 200×60", metric: "ns/op", p99: "ms-p99"},
	{bench: "ScrollFrameNormal/80x24", label: "scroll frame, 9000000009, 80×24", metric: "ns/op", p99: "ms-p99", budget: under("p99", 4, "ms")},
	{bench: "ScrollFrameNormal/200x60", label: "scroll frame, 9000000009, 200×60", metric: "ns/op", p99: "ms-p99", budget: under("p99", 4, "ms")},
	{bench: "ScrollFrame/80x24", label: "scroll frame, 9000000130, 80×24", metric: "ns/op", p99: "ms-p99", budget: under("p99", 4, "ms")},
	{bench: "ScrollFrame/200x60", label: "scroll frame, 9000000130, 200×60", metric: "ns/op", p99: "ms-p99", budget: under("p99", 4, "ms")},
	{bench: "DemoPeakRSS", label: "peak RSS of `scr --demo` through the very large record", metric: "MB-peak-RSS", budget: under("median", 60, "MB")},
	{bench: "BinarySize", label: "binary size, `-trimpath -ldflags \"-s -w\"`", metric: "MB-binary"},
}

// standard are go test's own metrics, left out of a known row's notes.
var standard = map[string]bool{"ns/op": true, "B/op": true, "allocs/op": true, "MB/s": true}

// table renders the rows found in res, then every other benchmark.
func table(res *results, rows []row) string {
	var b strings.Builder
	b.WriteString("| row | median | p99 | budget | ratio | notes |\n| --- | --- | --- | --- | --- | --- |\n")
	known := map[string]bool{}
	acrossRuns := false
	// A metric one row of a benchmark shows is not passed through in the
	// notes of another row of the same benchmark.
	shownBy := map[string]map[string]bool{}
	for _, r := range rows {
		if shownBy[r.bench] == nil {
			shownBy[r.bench] = map[string]bool{}
		}
		for _, m := range []string{r.metric, r.p99, r.ratio} {
			shownBy[r.bench][m] = true
		}
		for _, n := range r.notes {
			shownBy[r.bench][n.metric] = true
		}
	}
	for _, r := range rows {
		vals, ok := res.vals[r.bench]
		if !ok {
			continue
		}
		known[r.bench] = true
		med := median(vals[r.metric])
		var p float64
		pCell := ""
		if r.p99 != "" && len(vals[r.p99]) > 0 {
			p = median(vals[r.p99])
			pCell = format(r.p99, p)
		} else {
			p = p99(vals[r.metric])
			pCell = format(r.metric, p) + " †"
			acrossRuns = true
		}
		ratioCell, ratio := "—", math.NaN()
		if r.ratio != "" && len(vals[r.ratio]) > 0 {
			ratio = median(vals[r.ratio])
			ratioCell = format(r.ratio, ratio)
		}
		budgetCell := "—"
		if r.budget != nil {
			got := map[string]float64{"median": shown(r.metric, med), "p99": shown(r.p99Unit(), p), "ratio": ratio}[r.budget.of]
			met := got < r.budget.max || (r.budget.inclusive && got <= r.budget.max)
			verdict := "met"
			if !met {
				verdict = "**missed**"
			}
			budgetCell = r.budget.text + ": " + verdict
		}
		var notes []string
		used := map[string]bool{r.metric: true, r.p99: true, r.ratio: true}
		for _, n := range r.notes {
			used[n.metric] = true
			if v, ok := vals[n.metric]; ok {
				notes = append(notes, n.label+" "+format(n.metric, median(v)))
			}
		}
		for _, u := range res.units[r.bench] {
			if !used[u] && !shownBy[r.bench][u] && !standard[u] {
				notes = append(notes, passed(u, median(vals[u])))
			}
		}
		if r.note != "" {
			notes = append(notes, r.note)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.label, format(r.metric, med), pCell, budgetCell, ratioCell, cell(notes))
	}
	for _, name := range res.order {
		if known[name] {
			continue
		}
		vals := res.vals[name]
		metric := "ns/op"
		if _, ok := vals[metric]; !ok {
			metric = res.units[name][0]
		}
		var notes []string
		for _, u := range res.units[name] {
			if u != metric {
				notes = append(notes, passed(u, median(vals[u])))
			}
		}
		acrossRuns = true
		fmt.Fprintf(&b, "| %s | %s | %s † | — | — | %s |\n", name, format(metric, median(vals[metric])), format(metric, p99(vals[metric])), cell(notes))
	}
	b.WriteString("\nMedian over the runs (-count) of each benchmark; p99 is the benchmark's own over its iterations (the median of it over the runs)")
	if acrossRuns {
		b.WriteString(", or, marked †, over the runs (with fewer than 100 runs, the slowest)")
	}
	b.WriteString(". Notes are medians.\n")
	if res.cpu != "" {
		b.WriteString("CPU: " + res.cpu + "\n")
	}
	return b.String()
}

// p99Unit is the unit of the p99 cell: the p99 metric's, or the row's.
func (r row) p99Unit() string {
	if r.p99 != "" {
		return r.p99
	}
	return r.metric
}

func cell(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return strings.Join(notes, "; ")
}

// shown converts v in unit to the units the table shows (ms for times).
func shown(unit string, v float64) float64 {
	if unit == "ns/op" {
		return v / 1e6
	}
	return v
}

// passed is a metric no row names, in the notes: its value, named after the
// unit when format drops the unit's name (ms-viewer → "viewer 3.5 ms").
func passed(unit string, v float64) string {
	for _, affix := range []string{"ms-", "MB-", "ratio-"} {
		if name, ok := strings.CutPrefix(unit, affix); ok {
			return name + " " + format(unit, v)
		}
	}
	if name, ok := strings.CutSuffix(unit, "-ms"); ok {
		return name + " " + format(unit, v)
	}
	return format(unit, v)
}

// format shows v in unit: times in ms, sizes in MB or KB, a ratio with ×,
// counts bare, anything else with its unit.
func format(unit string, v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case unit == "ns/op":
		return num(v/1e6) + " ms"
	case strings.HasPrefix(unit, "ms-") || strings.HasSuffix(unit, "-ms"):
		return num(v) + " ms"
	case strings.HasPrefix(unit, "MB-"):
		return num(v) + " MB"
	case unit == "B/op":
		return num(v/1000) + " KB/op"
	case unit == "ratio" || strings.HasPrefix(unit, "ratio-"):
		return num(v) + "×"
	case unit == "apdus/op" || unit == "round-trips/op":
		return num(v)
	}
	return num(v) + " " + unit
}

// num shows three significant figures, at most, without an exponent.
func num(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		digits := max(2-int(math.Floor(math.Log10(a))), 0)
		s = strconv.FormatFloat(v, 'f', digits, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
