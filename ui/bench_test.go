package ui

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/sandboxtest"
	"github.com/scrterm/scr/smartcard"
)

// The budgets of make bench (issue 5): NHS number to summary within 1.2× of
// two raw sequential fetches of the same resources; a scroll frame of the
// very large record under 4 ms at p99. The numbers are reported, not
// asserted: a loaded machine must not fail the tests.

// runCmd runs cmd, and each command of a batch, in goroutines, and delivers
// the messages on the channel; commands that never end (spinner ticks) are
// left to finish alone.
func runCmd(cmd tea.Cmd) <-chan tea.Msg {
	out := make(chan tea.Msg, 16)
	var run func(tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() {
			msg := c()
			if batch, ok := msg.(tea.BatchMsg); ok {
				for _, sub := range batch {
					run(sub)
				}
				return
			}
			out <- msg
		}()
	}
	run(cmd)
	return out
}

// awaitMsgs runs cmd and returns the first n messages that keep says to
// keep, in the order they came, failing after 10 s.
func awaitMsgs(tb testing.TB, cmd tea.Cmd, n int, keep func(tea.Msg) bool) []tea.Msg {
	tb.Helper()
	out := runCmd(cmd)
	timeout := time.After(10 * time.Second)
	var got []tea.Msg
	for len(got) < n {
		select {
		case msg := <-out:
			if keep(msg) {
				got = append(got, msg)
			}
		case <-timeout:
			tb.Fatalf("%d of %d messages within 10 s", len(got), n)
		}
	}
	return got
}

// awaitMsg runs cmd and returns its first answer holding a T.
func awaitMsg[T tea.Msg](tb testing.TB, cmd tea.Cmd) answerMsg {
	tb.Helper()
	return awaitMsgs(tb, cmd, 1, func(m tea.Msg) bool {
		a, ok := m.(answerMsg)
		if ok {
			_, ok = a.msg.(T)
		}
		return ok
	})[0].(answerMsg)
}

// awaitBoth runs cmd and returns its answers holding an alertSentMsg and a
// summaryMsg, in the order they came.
func awaitBoth(tb testing.TB, cmd tea.Cmd) []tea.Msg {
	tb.Helper()
	return awaitMsgs(tb, cmd, 2, func(m tea.Msg) bool {
		if a, ok := m.(answerMsg); ok {
			switch a.msg.(type) {
			case alertSentMsg, summaryMsg:
				return true
			}
		}
		return false
	})
}

// BenchmarkEnterToSummary times Enter on an NHS number to the summary drawn
// (the permission key included, and so the privacy alert that records the
// permission before the record is read), beside two raw sequential GETs of
// the same Patient and Bundle: on loopback, where a round trip costs a fraction of a
// millisecond and the ratio shows the viewer's own work, and through a proxy
// that adds 10 ms each way to every reply, closer to Spine from a pharmacy.
func BenchmarkEnterToSummary(b *testing.B) {
	b.Run("loopback", func(b *testing.B) { benchEnterToSummary(b, 0) })
	b.Run("rtt-20ms", func(b *testing.B) { benchEnterToSummary(b, 10*time.Millisecond) })
}

func benchEnterToSummary(b *testing.B, oneWay time.Duration) {
	var front func(string) string
	if oneWay > 0 {
		front = func(u string) string { return latencyProxy(b, u, oneWay) }
	}
	f := newFixtureVia(b, front)
	m0 := f.in(stateFind)
	enter, permit := keyPress("enter"), keyPress("p")

	var viewer []time.Duration
	for b.Loop() {
		start := time.Now()
		m, cmd := m0.update(enter)
		m, _ = m.update(awaitMsg[lookupMsg](b, cmd))
		m, cmd = m.update(permit) // the permission recorded beside the record asked for
		for _, msg := range awaitBoth(b, cmd) {
			m, _ = m.update(msg)
		}
		if m.where() != stateSummary {
			b.Fatalf("ended in %v", m.where())
		}
		_ = m.View()
		viewer = append(viewer, time.Since(start))
	}
	b.StopTimer()

	// The baseline: the same PDS Patient and SCR Bundle, fetched one after
	// the other with net/http and the same token, nothing parsed.
	base := f.srv.URL()
	if front != nil {
		base = front(base)
	}
	raw := rawFetcher(b, f.srv, base)
	bundleQuery := url.Values{
		"composition.identifier":                 {f.lookup.Consent.SCRID},
		"composition.subject:Patient.identifier": {"https://fhir.nhs.uk/Id/nhs-number|9000000009"},
	}
	var baseline, baseline3 []time.Duration
	for range len(viewer) {
		start := time.Now()
		raw.get(b, "/personal-demographics/FHIR/R4/Patient/9000000009", nil)
		raw.get(b, "/summary-care-record/FHIR/R4/Bundle", bundleQuery)
		baseline = append(baseline, time.Since(start))
	}
	// A second baseline: the same with the privacy alert the viewer must
	// post between the two (the patient's permission, recorded before the
	// record is read), as raw as the GETs.
	alert := rawPermissionAlert(f.lookup.Consent.SCRID)
	for range len(viewer) {
		start := time.Now()
		raw.get(b, "/personal-demographics/FHIR/R4/Patient/9000000009", nil)
		raw.post(b, "/summary-care-record/FHIR/R4/AuditEvent", alert)
		raw.get(b, "/summary-care-record/FHIR/R4/Bundle", bundleQuery)
		baseline3 = append(baseline3, time.Since(start))
	}
	v, r, r3 := median(viewer), median(baseline), median(baseline3)
	b.ReportMetric(float64(v.Microseconds())/1000, "ms-viewer")
	b.ReportMetric(float64(r.Microseconds())/1000, "ms-2-raw-fetches")
	b.ReportMetric(float64(v)/float64(r), "ratio")
	b.ReportMetric(float64(r3.Microseconds())/1000, "ms-3-raw-requests")
	b.ReportMetric(float64(v)/float64(r3), "ratio-3-raw")
	if oneWay == 0 {
		// On loopback, what is the viewer's own: the consent read,
		// parsing, layout and drawing, over the three requests it cannot
		// do without. (With latency, the viewer's requests in parallel
		// would make this negative.)
		b.ReportMetric(float64((v-r3).Microseconds())/1000, "ms-own-work")
	}
	b.ReportMetric(float64(percentile(viewer, 0.99).Microseconds())/1000, "ms-p99")
}

// rawPermissionAlert is the pharmacist's privacy alert 1/6 (the patient's
// permission) for the SCR scrID of 9000000009, as the client posts it.
func rawPermissionAlert(scrID string) []byte {
	return fmt.Appendf(nil, `{"resourceType":"AuditEvent","id":"0b6f7c1e-3d2a-4c5b-9e8f-7a6b5c4d3e2f",`+
		`"extension":[{"url":"https://fhir.nhs.uk/StructureDefinition/Extension-SCR-NotificationMessage","valueString":"Alert: Other %[1]s"}],`+
		`"type":{"system":"https://fhir.nhs.uk/CodeSystem/SCR-AlertType","code":"1","display":"Create LR (Self Claimed)"},`+
		`"subtype":[{"system":"https://fhir.nhs.uk/CodeSystem/SCR-AlertReason","code":"6","display":"Other"}],`+
		`"recorded":%[2]q,`+
		`"agent":[{"who":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}},"requestor":false},`+
		`{"who":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"FA123"}},"requestor":false},`+
		`{"who":{"identifier":{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":%[3]q}},`+
		`"role":[{"coding":[{"system":"https://fhir.nhs.uk/Id/sds-role-profile-id","code":"555000000201"}]}],"requestor":false}],`+
		`"entity":[{"what":{"identifier":{"value":%[1]q}}}]}`,
		scrID, time.Now().UTC().Format(time.RFC3339), userPharmacist)
}

// rawFetch does plain GETs with a role token it got by hand: the baseline
// has no client of ours in it.
type rawFetch struct {
	base  string
	token string
	role  string
	http  *http.Client
}

// rawFetcher signs the pharmacist in over net/http alone: challenge, the
// card's assertion, card token, role token.
func rawFetcher(tb testing.TB, srv *sandbox.Server, base string) rawFetch {
	tb.Helper()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(srv.CACertPEM())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	post := func(path string, form url.Values) map[string]any {
		res, err := hc.PostForm(base+path, form)
		if err != nil {
			tb.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
			tb.Fatalf("%s: %s %v", path, res.Status, err)
		}
		return out
	}
	key, cert, err := sandboxtest.UnlockedCard(userPharmacist)
	if err != nil {
		tb.Fatal(err)
	}
	ch := post("/oauth2/challenge", nil)
	assertion, err := client.Assertion{
		Cert: cert, UserUUID: userPharmacist, Audience: base + "/oauth2/token",
		JTI: ch["challenge"].(string), Now: time.Now(),
	}.Sign(key)
	if err != nil {
		tb.Fatal(err)
	}
	card := post("/oauth2/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}})
	const role = "555000000201"
	tok := post("/oauth2/token", url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":      {card["access_token"].(string)},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"selected_roleid":    {role},
	})
	return rawFetch{base: base, token: tok["access_token"].(string), role: role, http: hc}
}

func (r rawFetch) get(tb testing.TB, path string, q url.Values) {
	u := r.base + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		tb.Fatal(err)
	}
	r.do(tb, req, http.StatusOK)
}

// post sends body, FHIR JSON, and wants 201 Created.
func (r rawFetch) post(tb testing.TB, path string, body []byte) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, r.base+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	r.do(tb, req, http.StatusCreated)
}

func (r rawFetch) do(tb testing.TB, req *http.Request, want int) {
	path := req.URL.Path
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("NHSD-Session-URID", r.role)
	req.Header.Set("X-Request-ID", "6f1d2a34-0b5c-4e1f-9a7d-2c3b4a5d6e7f")
	res, err := r.http.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for {
		if _, err := res.Body.Read(buf); err != nil {
			break
		}
	}
	_ = res.Body.Close()
	if res.StatusCode != want {
		tb.Fatalf("%s: %s", path, res.Status)
	}
}

// BenchmarkScrollFrame is one key press and one frame of the very large
// record (50 allergies, 300+ medication rows), the whole screen as the
// program draws it; p99 is reported beside the mean.
func BenchmarkScrollFrame(b *testing.B) { benchScroll(b, "9000000130", 2000) }

// benchScroll times one key press and one whole frame of patient nhs's
// summary at each of benchSizes, going back to the top every `every` frames.
func benchScroll(b *testing.B, nhs string, every int) {
	p, s := summaryTestPatient(b, nhs, ""), summaryTestSummary(b, nhs)
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			m := New(Options{Now: func() time.Time { return fixedNow }})
			m = step(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			m.scr = newSummaryScreen(m.sess.common, p, s, "Viewed as Pharmacist at FA123 · access recorded")
			_ = m.View()
			down, top := keyPress("down"), keyPress("g")
			var frames []time.Duration
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				key := down
				if i%every == every-1 {
					key = top
				}
				m = step(m, key)
				_ = m.View()
				frames = append(frames, time.Since(start))
			}
			b.ReportMetric(float64(percentile(frames, 0.99).Microseconds())/1000, "ms-p99")
		})
	}
}

func median(ds []time.Duration) time.Duration { return percentile(ds, 0.5) }

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(int(float64(len(s))*p), len(s)-1)]
}

// latencyProxy forwards TCP to the sandbox at target (an https URL) and holds
// every chunk oneWay in each direction: a round trip costs 2×oneWay more.
// TLS passes through untouched. It returns the URL to use instead.
func latencyProxy(tb testing.TB, target string, oneWay time.Duration) string {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = ln.Close() })
	pipe := func(dst, src net.Conn) {
		defer dst.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				time.Sleep(oneWay)
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", u.Host)
			if err != nil {
				_ = c.Close()
				continue
			}
			go pipe(up, c)
			go pipe(c, up)
		}
	}()
	return "https://" + ln.Addr().String()
}

// BenchmarkPasscodeToRoles is Enter on the passcode to the role list drawn,
// for the locum with roles at two organisations (555000000105): the card's
// VERIFY and GENERAL AUTHENTICATE (an in-process virtual card: no pcscd, see
// BenchmarkPCSCSignWithPIN for its cost per APDU) and the sign-in's HTTP
// round trips to the loopback sandbox. It reports the APDUs and round trips
// of one sign-in beside the median and p99.
func BenchmarkPasscodeToRoles(b *testing.B) {
	var requests requestCounter
	srv, cl := startSandbox(b, sandbox.Config{RateLimit: 1e6, Log: slog.New(&requests)})
	_ = srv
	cards := newTestCards(b, userLocum)
	card, err := cards.Open(testReader)
	if err != nil {
		b.Fatal(err)
	}
	piv := card.(*smartcard.Card)
	m0 := New(Options{Client: cl, Cards: cards, Now: func() time.Time { return fixedNow }})
	m0 = step(m0, tea.WindowSizeMsg{Width: 80, Height: 24})
	m0.sess.watching = true
	m0.sess.readers = map[string]bool{testReader: true}
	m0.scr, m0.sess.card, m0.sess.pin = passcodeScreen{}, card, smartcard.PINStatus{TriesLeft: 3}
	enter := keyPress("enter")

	var times []time.Duration
	apdus, trips := 0, int64(0)
	for b.Loop() {
		m := m0
		for _, d := range userPIN[userLocum] {
			m = step(m, keyPress(string(d)))
		}
		a0, r0 := piv.APDUs(), requests.n.Load()
		start := time.Now()
		m, cmd := m.update(enter)
		m, _ = m.update(awaitMsg[signedInMsg](b, cmd))
		if m.where() != stateRole {
			b.Fatalf("ended in %v", m.where())
		}
		_ = m.View()
		times = append(times, time.Since(start))
		apdus += piv.APDUs() - a0
		trips += requests.n.Load() - r0
	}
	b.ReportMetric(float64(median(times).Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(percentile(times, 0.99).Microseconds())/1000, "ms-p99")
	b.ReportMetric(float64(apdus)/float64(len(times)), "apdus/op")
	b.ReportMetric(float64(trips)/float64(len(times)), "round-trips/op")
}

// requestCounter is a slog.Handler counting the sandbox's request records
// (one per HTTP request, logged at debug level).
type requestCounter struct{ n atomic.Int64 }

func (*requestCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *requestCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "request" {
		c.n.Add(1)
	}
	return nil
}
func (c *requestCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *requestCounter) WithGroup(string) slog.Handler      { return c }

// benchRecords are the published record and the very large one.
var benchRecords = []struct{ name, nhs string }{{"normal", "9000000009"}, {"large", "9000000130"}}

var benchSizes = [][2]int{{80, 24}, {200, 60}}

// BenchmarkSummaryRender is the summary's first frame: the record laid out
// for the terminal (newSummaryScreen) and the whole screen drawn, as when it
// arrives; p99 is reported beside the mean.
func BenchmarkSummaryRender(b *testing.B) {
	for _, rc := range benchRecords {
		p, s := summaryTestPatient(b, rc.nhs, ""), summaryTestSummary(b, rc.nhs)
		for _, size := range benchSizes {
			b.Run(fmt.Sprintf("%s/%dx%d", rc.name, size[0], size[1]), func(b *testing.B) {
				m := New(Options{Now: func() time.Time { return fixedNow }})
				m = step(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				var frames []time.Duration
				b.ReportAllocs()
				for b.Loop() {
					start := time.Now()
					m.scr = newSummaryScreen(m.sess.common, p, s, "Viewed as Pharmacist at FA123 · access recorded")
					_ = m.View()
					frames = append(frames, time.Since(start))
				}
				b.ReportMetric(float64(percentile(frames, 0.99).Microseconds())/1000, "ms-p99")
			})
		}
	}
}

// BenchmarkScrollFrameNormal is BenchmarkScrollFrame for the published
// record, 9000000009: one key press (down; back to the top every 200) and one
// frame.
func BenchmarkScrollFrameNormal(b *testing.B) { benchScroll(b, "9000000009", 200) }
