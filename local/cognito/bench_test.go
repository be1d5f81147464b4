package cognito

import (
	"context"
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
