package chargertest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/require"
)

// childEnv makes the test binary serve the simulator instead of running
// tests (see TestMain); its value is the start of the simulator's clock.
const childEnv = "CHARGERTEST_SANDBOX_AT"

func TestMain(m *testing.M) {
	if at := os.Getenv(childEnv); at != "" {
		os.Exit(serveSandbox(at))
	}
	os.Exit(m.Run())
}

// serveSandbox serves the benchmark's simulator, clock standing at at,
// until its standard input closes: it prints its URL as the first line.
// Next to the simulator's own API it answers GET /chargertest/charges with
// the number of charges it holds.
func serveSandbox(at string) int {
	start, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	clock := sandbox.NewClock(start)
	sb := sandbox.New(sandboxConfig(clock, worldConfig{seed: 1}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	url := "http://" + ln.Addr().String()
	sb.SetPublicURL(url)
	mux := http.NewServeMux()
	mux.Handle("/", sb.Handler())
	mux.HandleFunc("GET /chargertest/charges", func(w http.ResponseWriter, r *http.Request) {
		n := 0
		for _, ag := range sb.Vipps.Agreements() {
			n += len(sb.Vipps.Charges(ag.ID))
		}
		_ = json.NewEncoder(w).Encode(n)
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println(url)
	_, _ = io.Copy(io.Discard, os.Stdin)
	sb.Close()
	_ = srv.Close()
	return 0
}

// childSandbox runs the simulator in a child process (this test binary
// again), so that what this process measures is the charger alone. It is
// stopped when the test ends.
type childSandbox struct {
	url string
	hc  *http.Client
}

func startChildSandbox(tb testing.TB, at time.Time) *childSandbox {
	tb.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+at.UTC().Format(time.RFC3339Nano))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(tb, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(tb, err)
	require.NoError(tb, cmd.Start())
	tb.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(tb, err)
	return &childSandbox{url: strings.TrimSpace(line), hc: &http.Client{}}
}

// control calls the simulator's control API and checks the answer.
func (c *childSandbox) control(tb testing.TB, method, path string, body any, out any) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(tb, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	require.NoError(tb, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.hc.Do(req)
	require.NoError(tb, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(tb, err)
	require.Less(tb, res.StatusCode, 300, "%s %s: %s", method, path, b)
	if out != nil {
		require.NoError(tb, json.Unmarshal(b, out))
	}
}

// acceptAgreement acts as the user accepting the agreement.
func (c *childSandbox) acceptAgreement(id string) error {
	res, err := c.hc.Post(c.url+"/sandbox/vipps/agreements/"+id+"/accept", "application/json", nil)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("accept agreement %s: %s", id, res.Status)
	}
	return nil
}
