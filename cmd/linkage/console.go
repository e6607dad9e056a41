package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/console"
	"github.com/linkage-org/linkage/internal/httpapi"
)

// newConsole is the staff console's builder for the API of d.
func newConsole(cfg config.Config, d httpapi.Deps) (func(http.Handler) http.Handler, error) {
	zone, err := time.LoadLocation(cfg.DefaultTZ)
	if err != nil {
		return nil, err
	}
	return console.New(console.Deps{Store: d.Store, Log: d.Logger, Now: d.Now, Zone: zone, BaseURL: cfg.BaseURL,
		Secure: strings.HasPrefix(cfg.BaseURL, "https://"), AsPrincipal: httpapi.AsPrincipal, SSO: consoleSSO(cfg)})
}

// consoleSSO is the console's single sign-on of cfg; nil when it sets
// none (config.Load has refused a partial set).
func consoleSSO(cfg config.Config) *console.SSO {
	if cfg.OIDCIssuer == "" {
		return nil
	}
	// The provider sends the browser back to the public address, which
	// must be registered with it as is.
	return &console.SSO{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
		RedirectURL: cfg.BaseURL + "/app/sso/callback"}
}
