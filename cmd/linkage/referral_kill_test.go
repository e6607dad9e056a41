package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestServe_KilledDuringReferrals sends referrals from several clients,
// SIGKILLs the server mid-stream, restarts it, and shows that every
// referral that got a 2xx is there, once (its Idempotency-Key answers the
// same referral), with its history; on SQLite and PostgreSQL.
func TestServe_KilledDuringReferrals(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			dir := t.TempDir()
			vars := map[string]string{"LINKAGE_DATA_DIR": dir, "LINKAGE_ADDR": "127.0.0.1:0", "LINKAGE_DEMO": "true",
				"LINKAGE_RATE_KEY": "0", "LINKAGE_LOG_LEVEL": "warn"}
			if d == "postgres" {
				vars["LINKAGE_DATABASE_URL"] = storetest.URL(t, d)
			}
			var env []string
			for k, v := range vars {
				env = append(env, k+"="+v)
			}
			s := startServer(t, append(env, "LINKAGE_LOG_LEVEL=info"))
			base := s.url()
			go func() {
				for range s.lines {
				}
			}()
			keys, err := os.ReadFile(filepath.Join(dir, "demo-keys.txt"))
			if err != nil {
				t.Fatal(err)
			}
			var cw string
			for _, line := range strings.Split(string(keys), "\n") {
				if f := strings.Fields(line); len(f) > 1 && f[0] == "caseworker" {
					cw = f[len(f)-1]
				}
			}
			send := func(base, method, path, body, idem string) (int, map[string]any, error) {
				req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+cw)
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
			st, c, err := send(base, "POST", "/cases", `{"client": {"given_name": "Ann", "family_name": "Lee"}, "needs": [{"domain": "food"}],
				"consent": {"scope": ["name"], "given_on": "2026-01-01"}}`, "")
			if err != nil || st != 201 {
				t.Fatalf("POST /cases: %d %v %v", st, c, err)
			}
			caseID := c["id"].(string)
			body := func(i int) string {
				return fmt.Sprintf(`{"case_id": %q, "service_id": "daab84cb-6e24-5dc0-992d-04099c16c817", "need": "food", "note": "request %d"}`, caseID, i)
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
			go func() {
				for range s.lines {
				}
			}()
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
			s.kill(t, syscall.SIGTERM)
		})
	}
}
