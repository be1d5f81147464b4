package cognito

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/authnotes/authnotes/srp"
)

// Sign-ins per second through HTTP on loopback, the SDK client and the endpoint in one process (so the client's
// work — SRP maths, JSON — counts too). Run: go test -run '^$' -bench SignIn ./local/cognito
//
// Besides wall-clock throughput (which depends on whatever else runs on the machine) each benchmark reports the
// CPU time one sign-in costs, client and server together, and the throughput that cost allows when every core of
// the machine works on sign-ins ("signins/s@idle").

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchSignIns(b *testing.B, signIn func() error) {
	start := cpuTime(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := signIn(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	perOp := (cpuTime(b) - start) / time.Duration(b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
	b.ReportMetric(float64(perOp.Microseconds()), "cpu-µs/signin")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0))/perOp.Seconds(), "signins/s@idle")
}

func BenchmarkSignInUserPassword(b *testing.B) {
	e := newEnv(b)
	e.signUp("bench@example.com", goodPassword)
	benchSignIns(b, func() error {
		_, err := e.passwordAuth("bench@example.com", goodPassword)
		return err
	})
}

func BenchmarkSignInSRP(b *testing.B) {
	e := newEnv(b)
	e.signUp("bench@example.com", goodPassword)
	in := srp.SignInInput{PoolID: e.poolID, ClientID: e.clientID, Username: "bench@example.com", Password: goodPassword}
	benchSignIns(b, func() error {
		_, err := srp.SignIn(context.Background(), e.api, in)
		return err
	})
}

// BenchmarkSignInUserPasswordWire is the endpoint's own rate: the same USER_PASSWORD_AUTH sign-in as above, sent
// as the raw AWS JSON 1.1 request a client puts on the wire, so the SDK's client-side middleware does not share the
// two cores with the server. This is the number compared with cognito-local's (measured the same way, over HTTP).
func BenchmarkSignInUserPasswordWire(b *testing.B) {
	e := newEnv(b)
	e.signUp("bench@example.com", goodPassword)
	body, err := json.Marshal(map[string]any{
		"ClientId":       e.clientID,
		"AuthFlow":       "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "bench@example.com", "PASSWORD": goodPassword},
	})
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := e.srv.URL() + "/"
	benchSignIns(b, func() error {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.InitiateAuth")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"AccessToken"`)) {
			return fmt.Errorf("InitiateAuth = %d %s; want 200 with tokens", resp.StatusCode, out)
		}
		return nil
	})
}
