package console

import "net/http"

// SSO is single sign-on through an OpenID Connect provider: a signed-in
// subject maps, by the email claim, to a staff account.
type SSO struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is <base>/app/sso/callback as registered with the provider.
	RedirectURL string
}

func (c *Console) ssoStart(w http.ResponseWriter, r *http.Request) {
	if c.d.SSO == nil {
		c.notFound(w, r)
		return
	}
	c.fail(w, r, nil, http.StatusNotImplemented, "error.internal")
}

func (c *Console) ssoCallback(w http.ResponseWriter, r *http.Request) {
	c.ssoStart(w, r)
}
