package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/config"
	"github.com/scrterm/scr/internal/demo"
	"github.com/scrterm/scr/ui"
)

// The viewer with auth = "cis2", the NHS's own sign-in (issue 16): the
// application's settings, checked before the terminal as the others are; the
// system browser, opened at CIS2's page; and, for scr --demo --auth cis2, the
// demo's stand-in for that browser.

// checkCIS2Settings refuses auth = "cis2" with a setting it needs unset.
func checkCIS2Settings(res config.Resolved) error {
	missing := res.MissingForCIS2()
	if len(missing) == 0 {
		return nil
	}
	list, them := missing[0], "it as a flag"
	if n := len(missing); n > 1 {
		list, them = strings.Join(missing[:n-1], ", ")+" and "+missing[n-1], "them as flags"
	}
	return usagef("scr: auth cis2 needs %s: give %s (--%s …), in the environment (%s …) or in %s (scr help config)",
		list, them, missing[0], config.Env(missing[0]), res.File)
}

// cis2Application is the application auth = "cis2" signs its users in as:
// its settings, and its key from the signing-key file, which is refused if
// anyone but its owner can read it. nil for auth = "card" (s nil).
func cis2Application(s *config.Settings) (*client.CIS2Config, error) {
	if s == nil {
		return nil, nil
	}
	data, err := config.ReadSigningKey(s.SigningKey)
	if err != nil {
		return nil, err
	}
	defer clear(data)
	key, err := client.ParseSigningKey(data)
	if ke, ok := errors.AsType[*client.SigningKeyError](err); ok {
		return nil, fmt.Errorf("the signing key %s cannot be used: %s", s.SigningKey, ke.Problem)
	}
	if err != nil {
		return nil, fmt.Errorf("the signing key %s: %w", s.SigningKey, err)
	}
	return &client.CIS2Config{Issuer: s.CIS2Issuer, ClientID: s.ClientID, APIKey: s.APIKey, Key: key, KID: s.KID}, nil
}

// viewerCIS2 is the viewer's part of auth = "cis2": CIS2 found through c,
// and the system browser. nil for auth = "card" (app nil).
func viewerCIS2(c *client.Client, app *client.CIS2Config) *ui.CIS2 {
	if app == nil {
		return nil
	}
	return &ui.CIS2{Discover: ui.DiscoverOnce(c, *app), Open: openBrowser}
}

// demoCIS2 is scr --demo --auth cis2's: the sandbox's CIS2 stand-in, as the
// sandbox's registered application, with the demo's stand-in for the
// browser, which signs in at its page with the card in the demo reader
// once the passcode is typed.
func demoCIS2(env *demo.Env, c *client.Client) (*ui.CIS2, error) {
	app, err := env.CIS2Config()
	if err != nil {
		return nil, err
	}
	return &ui.CIS2{
		Discover: ui.DiscoverOnce(c, app),
		Open:     func(string) error { return errors.New("the demo opens no browser") },
		Browser:  env.CIS2Browser,
	}, nil
}

// browserWait is how long openBrowser waits for the program that opens the
// browser to say it could not: xdg-open, open and rundll32 hand the page to
// the browser and exit, while a browser started in their place runs on.
var browserWait = 3 * time.Second

// openBrowser opens url in the system browser: xdg-open on Linux and the
// BSDs, open on macOS, the URL protocol handler (rundll32
// url.dll,FileProtocolHandler) on Windows. It runs that program directly,
// never through a shell, with no terminal: its input and output are the null
// device, so a text-mode browser cannot draw over the viewer. An error means
// no browser could be opened, and the viewer then shows the address.
func openBrowser(url string) error {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return errors.New("not a web address")
	}
	name, args := browserCommand(runtime.GOOS, url, os.Getenv)
	if name == "" {
		return errors.New("no graphical session to open a browser in")
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...) // Stdin, Stdout and Stderr: the null device
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err // xdg-open exits non-zero when it found no browser
	case <-time.After(browserWait):
		return nil // a browser run in the foreground: it is open
	}
}

// browserCommand is the program, and its arguments, that opens url in the
// system browser on goos; "" where there is none: on Linux and the BSDs
// without a graphical session (DISPLAY or WAYLAND_DISPLAY), as over SSH,
// where xdg-open would fall back to a text browser in the terminal.
func browserCommand(goos, url string, getenv func(string) string) (string, []string) {
	switch goos {
	case "darwin":
		return "open", []string{url}
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler", url}
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return "", nil
	}
	return "xdg-open", []string{url}
}
