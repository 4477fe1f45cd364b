package cis2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Browser plays the user's browser at the sandbox's authorise step, for scr
// --demo and the tests: where a person would sign in to CIS2 with the card in
// the reader, Open asks the sandbox for a challenge, has the card sign it,
// POSTs the authorisation request with that card_assertion, and follows the
// redirect back to the application's loopback listener, as a browser would.
type Browser struct {
	// HTTP reaches the sandbox (it trusts the sandbox's TLS CA) and the
	// application's loopback listener. Open does not let it follow
	// redirects.
	HTTP *http.Client
	// Sign returns the card's assertion over challenge for audience (the
	// sandbox's /oauth2/token URL), exactly as section 1's card sign-in
	// makes it.
	Sign func(ctx context.Context, challenge, audience string) (string, error)
	// Redirect, if set, sees the redirect back to the application before it
	// is followed, and may change it: tests copy its code or change its
	// state.
	Redirect func(u *url.URL)
}

// Open signs in at authorizeURL, the authorisation request an application
// would have opened in the browser. It returns once the application's
// listener has answered the redirect, whatever it answered (the application
// knows how its sign-in went), or with an error if the browser's own part
// failed: the challenge, the card, an authorise step that did not redirect,
// a listener that could not be reached.
func (b *Browser) Open(ctx context.Context, authorizeURL string) error {
	if b.HTTP == nil || b.Sign == nil {
		return errors.New("cis2: Browser needs HTTP and Sign")
	}
	hc := *b.HTTP
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	u, err := url.Parse(authorizeURL)
	if err != nil {
		return fmt.Errorf("cis2: browser: %w", err)
	}
	base := u.Scheme + "://" + u.Host
	challenge, err := b.challenge(ctx, &hc, base+"/oauth2/challenge")
	if err != nil {
		return err
	}
	assertion, err := b.Sign(ctx, challenge, base+"/oauth2/token")
	if err != nil {
		return fmt.Errorf("cis2: browser: the card did not sign: %w", err)
	}
	form := u.Query()
	form.Set("card_assertion", assertion)
	endpoint := *u
	endpoint.RawQuery = ""
	resp, err := post(ctx, &hc, endpoint.String(), form)
	if err != nil {
		return err
	}
	loc, err := resp.Location()
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound || err != nil {
		return fmt.Errorf("cis2: browser: the authorise step answered %s, not a redirect", resp.Status)
	}
	if b.Redirect != nil {
		b.Redirect(loc)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		return err
	}
	back, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cis2: browser: the application's listener: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(back.Body, 1<<16))
	_ = back.Body.Close()
	return nil
}

func (b *Browser) challenge(ctx context.Context, hc *http.Client, endpoint string) (string, error) {
	resp, err := post(ctx, hc, endpoint, url.Values{})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var ch struct {
		Challenge string `json:"challenge"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("cis2: browser: %s answered %s", endpoint, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&ch); err != nil || ch.Challenge == "" {
		return "", fmt.Errorf("cis2: browser: no challenge from %s", endpoint)
	}
	return ch.Challenge, nil
}

func post(ctx context.Context, hc *http.Client, endpoint string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cis2: browser: %w", err)
	}
	return resp, nil
}
