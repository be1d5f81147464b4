package cognito

import (
	"context"
	"testing"

	"github.com/authnotes/authnotes/srp"
)

// Sign-ins per second through HTTP on loopback, the SDK client and the endpoint in one process (so the client's
// work — SRP maths, JSON — counts too). Run: go test -run '^$' -bench SignIn ./local/cognito

func BenchmarkSignInUserPassword(b *testing.B) {
	e := newEnv(b)
	e.signUp("bench@example.com", goodPassword)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out, err := e.passwordAuth("bench@example.com", goodPassword)
			if err != nil || out.AuthenticationResult == nil {
				b.Errorf("sign-in = %v, %v", out, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
}

func BenchmarkSignInSRP(b *testing.B) {
	e := newEnv(b)
	e.signUp("bench@example.com", goodPassword)
	in := srp.SignInInput{PoolID: e.poolID, ClientID: e.clientID, Username: "bench@example.com", Password: goodPassword}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := srp.SignIn(context.Background(), e.api, in)
			if err != nil || res.Tokens == nil {
				b.Errorf("sign-in = %v, %v", res, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
}
