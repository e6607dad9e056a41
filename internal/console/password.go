package console

import (
	"net/http"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
)

// passwordPage is where a one-time link an administrator handed over
// lets a person choose their password.
func (c *Console) passwordPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	token := clipText(r.URL.Query().Get("token"), 100)
	ok, err := c.d.Store.PasswordLinkValid(r.Context(), token)
	if err != nil {
		c.d.Log.ErrorContext(r.Context(), "console password", "err", err)
		c.fail(w, r, nil, http.StatusInternalServerError, "error.internal")
		return
	}
	if !ok {
		// A spent or expired link says so at once, not after a password
		// has been chosen for nothing.
		c.fail(w, r, nil, http.StatusNotFound, "password.link_spent")
		return
	}
	c.showSignInLike(w, r, http.StatusOK, "password", map[string]any{"Token": token})
}

func (c *Console) setPassword(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	_ = r.ParseForm()
	token := clipText(r.PostFormValue("token"), 100)
	data := map[string]any{"Token": token}
	if !c.preChecked(r) {
		data["Error"] = "error.csrf"
		c.showSignInLike(w, r, http.StatusForbidden, "password", data)
		return
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		data["Error"] = "password.mismatch"
		c.showSignInLike(w, r, http.StatusUnprocessableEntity, "password", data)
		return
	}
	if _, err := c.d.Store.ResetPassword(r.Context(), token, pw); err != nil {
		switch apperr.KindOf(err) {
		case apperr.NotFound:
			data["Error"] = "password.link_spent"
			c.showSignInLike(w, r, http.StatusNotFound, "password", data)
		case apperr.Unprocessable:
			data["Error"], data["Short"] = "password.weak", true
			c.showSignInLike(w, r, http.StatusUnprocessableEntity, "password", data)
		default:
			c.d.Log.ErrorContext(r.Context(), "console password", "err", err)
			c.fail(w, r, nil, http.StatusInternalServerError, "error.internal")
		}
		return
	}
	http.Redirect(w, r, "/app/sign-in?done=password", http.StatusSeeOther)
}

// showSignInLike renders a page for someone not signed in, with a fresh
// pre-session CSRF pair (see showSignIn).
func (c *Console) showSignInLike(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any) {
	token, _ := auth.NewToken()
	c.setCookie(w, "linkage_pre", token, 3600)
	data["Pre"] = token
	c.render(w, r, nil, status, name, name+".title", data)
}
