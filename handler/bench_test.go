package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkColdStart measures exec → the first answer to the host's
// readiness probe (GET /), which is what the Functions host waits for after
// starting the handler (ms-to-ready), and exec → the first 200 on /, when
// the app is wired on embedded SQLite with migrations and serves requests
// (ms-to-wired).
func BenchmarkColdStart(b *testing.B) {
	dir := b.TempDir()
	partners := filepath.Join(dir, "partners.json")
	if err := os.WriteFile(partners, []byte(testPartners), 0o600); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Timeout: time.Second}
	for i := 0; b.Loop(); i++ {
		port := freePortTB(b)
		cmd := exec.Command(binPath)
		cmd.Env = []string{
			"FUNCTIONS_CUSTOMHANDLER_PORT=" + port, "PUBLIC_BASE_URL=http://127.0.0.1:" + port,
			"SQLITE_PATH=" + filepath.Join(dir, "cold.db"), "PARTNERS_FILE=" + partners,
			"PAYCORE_BASE_URL=http://127.0.0.1:1/paycore", "LINK_SMS_BASE_URL=http://127.0.0.1:1/sms",
			"VIPPS_BASE_URL=http://127.0.0.1:1/vipps",
			"LINK_SMS_USERNAME=u", "LINK_SMS_PASSWORD=p", "KEYWORD_AUTH=secret", "KEYWORD_SECRET=s",
			"SIGNING_KEY=0123456789abcdef0123456789abcdef", "LOG_LEVEL=error",
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		var answered time.Duration
		for {
			resp, err := client.Get("http://127.0.0.1:" + port + "/")
			if err == nil {
				resp.Body.Close()
				if answered == 0 {
					answered = time.Since(start)
				}
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > 10*time.Second {
				b.Fatal("not ready in 10 s")
			}
			time.Sleep(time.Millisecond) // the host probes every 25 ms; we probe finer to measure
		}
		b.ReportMetric(float64(answered.Microseconds())/1000, "ms-to-ready")
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms-to-wired")
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
}
