package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/notify"
	"github.com/linkage-org/linkage/internal/seal"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestServe_KilledDuringReferrals sends referrals from several clients,
// SIGKILLs the server mid-stream, restarts it, and shows that every
// referral that got a 2xx is there, once (its Idempotency-Key answers the
// same referral), with its history, and that the receiving agency's
// webhook (failing at first) gets every one of them after the restart;
// on SQLite and PostgreSQL. Client details never reach the log.
func TestServe_KilledDuringReferrals(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			dir := t.TempDir()
			vars := map[string]string{"LINKAGE_DATA_DIR": dir, "LINKAGE_ADDR": "127.0.0.1:0", "LINKAGE_DEMO": "true",
				"LINKAGE_RATE_KEY": "0", "LINKAGE_LOG_LEVEL": "warn", "LINKAGE_WEBHOOK_ALLOW_PRIVATE": "true",
				"LINKAGE_WEBHOOK_RETRY_BASE": "20ms", "LINKAGE_JOBS_POLL": "20ms"}
			if d == "postgres" {
				vars["LINKAGE_DATABASE_URL"] = storetest.URL(t, d)
				// serve on PostgreSQL needs a key (demo mode's generated
				// one is for SQLite); the restart gets the same.
				key, err := seal.NewKey()
				if err != nil {
					t.Fatal(err)
				}
				vars["LINKAGE_DATA_KEY"] = key
			}
			var env []string
			for k, v := range vars {
				env = append(env, k+"="+v)
			}
			var logMu sync.Mutex
			var logText strings.Builder
			drain := func(s *server) {
				go func() {
					for line := range s.lines {
						logMu.Lock()
						logText.WriteString(line + "\n")
						logMu.Unlock()
					}
				}()
			}
			s := startServer(t, append(env, "LINKAGE_LOG_LEVEL=info"))
			base := s.url()
			drain(s)
			keys, err := os.ReadFile(filepath.Join(dir, "demo-keys.txt"))
			if err != nil {
				t.Fatal(err)
			}
			var cw, food string
			for _, line := range strings.Split(string(keys), "\n") {
				if f := strings.Fields(line); len(f) > 1 && f[0] == "caseworker" {
					cw = f[len(f)-1]
				} else if len(f) > 1 && f[0] == "agency" && strings.Contains(line, "Food Network") {
					food = f[len(f)-1]
				}
			}
			sendAs := func(key, base, method, path, body, idem string) (int, map[string]any, error) {
				req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				if idem != "" {
					req.Header.Set("Idempotency-Key", idem)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return 0, nil, err
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				var out map[string]any
				_ = json.Unmarshal(b, &out)
				return resp.StatusCode, out, nil
			}
			send := func(base, method, path, body, idem string) (int, map[string]any, error) {
				return sendAs(cw, base, method, path, body, idem)
			}

			// The food bank's agency subscribes; its endpoint fails the
			// first 25 deliveries, then takes them and checks each signature.
			var hookMu sync.Mutex
			var secret string
			failures := 25
			delivered := map[string]int{}     // referral id → referral.created deliveries accepted
			arrived := make(chan struct{}, 1) // a delivery was accepted since the last look
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				hookMu.Lock()
				defer hookMu.Unlock()
				if failures > 0 {
					failures--
					w.WriteHeader(http.StatusBadGateway)
					return
				}
				sig := r.Header.Get(notify.SignatureHeader)
				ts, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(sig, ",")[0], "t="), 10, 64)
				if notify.Sign(secret, time.Unix(ts, 0), body) != sig {
					t.Errorf("bad signature %q", sig)
				}
				var ev struct {
					Type string
					Data struct {
						ReferralID string `json:"referral_id"`
					}
				}
				_ = json.Unmarshal(body, &ev)
				if ev.Type == "referral.created" {
					delivered[ev.Data.ReferralID]++
					select {
					case arrived <- struct{}{}:
					default:
					}
				}
			}))
			defer receiver.Close()
			st, hook, err := sendAs(food, base, "POST", "/webhooks", fmt.Sprintf(`{"url": %q, "events": ["referral.created"]}`, receiver.URL), "")
			if err != nil || st != 201 {
				t.Fatalf("POST /webhooks: %d %v %v", st, hook, err)
			}
			hookMu.Lock()
			secret = hook["secret"].(string)
			hookMu.Unlock()

			st, c, err := send(base, "POST", "/cases", `{"client": {"given_name": "Zebulon", "family_name": "Quackenbush", "phone": "843-555-0199"}, "needs": [{"domain": "food"}],
				"consent": {"scope": ["name"], "given_on": "2026-01-01"}}`, "")
			if err != nil || st != 201 {
				t.Fatalf("POST /cases: %d %v %v", st, c, err)
			}
			caseID := c["id"].(string)
			body := func(i int) string {
				return fmt.Sprintf(`{"case_id": %q, "service_id": "daab84cb-6e24-5dc0-992d-04099c16c817", "need": "food", "note": "request %d: please call", "contact_mode": "client_will_contact"}`, caseID, i)
			}

			// Eight clients send until the server dies under them.
			var mu sync.Mutex
			acked := map[string]string{} // idempotency key → referral id
			attempted := 0
			var wg sync.WaitGroup
			enough := make(chan struct{})
			var once sync.Once
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						n := w*100000 + i
						key := fmt.Sprintf("kill-%d", n)
						mu.Lock()
						attempted++
						mu.Unlock()
						st, out, err := send(base, "POST", "/referrals", body(n), key)
						if err != nil {
							return // the server is gone
						}
						if st != 201 {
							t.Errorf("POST /referrals: %d %v", st, out)
							return
						}
						mu.Lock()
						acked[key] = out["id"].(string)
						if len(acked) >= 150 {
							once.Do(func() { close(enough) })
						}
						mu.Unlock()
					}
				}()
			}
			<-enough
			s.kill(t, syscall.SIGKILL)
			wg.Wait()

			s = startServer(t, append(env, "LINKAGE_LOG_LEVEL=info"))
			base = s.url()
			drain(s)
			mu.Lock()
			defer mu.Unlock()
			for key, id := range acked {
				n := 0
				fmt.Sscanf(key, "kill-%d", &n)
				st, out, err := send(base, "POST", "/referrals", body(n), key)
				if err != nil || st != 201 || out["id"] != id {
					t.Fatalf("retry of %s after the restart: %d, id %v, want the acknowledged %s (%v)", key, st, out["id"], id, err)
				}
				st, ev, err := send(base, "GET", "/referrals/"+id+"/events", "", "")
				if err != nil || st != 200 {
					t.Fatalf("events of %s: %d %v", id, st, err)
				}
				items, _ := ev["contents"].([]any)
				if len(items) != 1 || items[0].(map[string]any)["kind"] != "created" {
					t.Fatalf("events of %s after the restart: %v", id, ev)
				}
			}
			st, page, err := send(base, "GET", "/referrals?case_id="+caseID+"&per_page=1", "", "")
			if err != nil || st != 200 {
				t.Fatal(st, err)
			}
			total := int(page["total_items"].(float64))
			if total < len(acked) || total > attempted {
				t.Fatalf("%d referrals stored; %d were acknowledged and %d attempted", total, len(acked), attempted)
			}
			t.Logf("%s: %d acknowledged, %d attempted, %d stored after SIGKILL and restart", d, len(acked), attempted, total)

			// Every acknowledged referral reaches the webhook: the
			// outbox outlived the process. Each accepted delivery wakes
			// the check (no polling).
			deadline := time.After(60 * time.Second)
			for {
				hookMu.Lock()
				missing := 0
				for _, id := range acked {
					if delivered[id] == 0 {
						missing++
					}
				}
				hookMu.Unlock()
				if missing == 0 {
					break
				}
				select {
				case <-arrived:
				case <-deadline:
					t.Fatalf("%d acknowledged referrals never reached the webhook", missing)
				}
			}
			st, _, err = sendAs(food, base, "GET", "/webhooks/"+hook["id"].(string)+"/deliveries?state=pending&per_page=1", "", "")
			if err != nil || st != 200 {
				t.Fatalf("delivery log: %d %v", st, err)
			}
			s.kill(t, syscall.SIGTERM)
			logMu.Lock()
			defer logMu.Unlock()
			for _, secretText := range []string{"Zebulon", "Quackenbush", "843-555-0199", "please call"} {
				if strings.Contains(logText.String(), secretText) {
					t.Errorf("the log holds %q", secretText)
				}
			}
		})
	}
}
