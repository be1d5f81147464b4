package srp

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jsVector was computed by amazon-cognito-identity-js 6.3.21 (lib/AuthenticationHelper.js) from the fixed a,
// salt, password and the B our server derives from the fixed b: the client side in Go must produce the same A
// and signature, and the server side must accept the JS signature.
type jsVector struct {
	PoolName, UserID, Password, SaltHex, AHex, BHex string
	SRPA, SRPB, VerifierHex, SecretBlock, Timestamp string
	HKDFHex, Signature                              string
}

func loadVector(t *testing.T) jsVector {
	t.Helper()
	raw, err := os.ReadFile("testdata/js_vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var v jsVector
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMatchesAmazonCognitoIdentityJS(t *testing.T) {
	vec := loadVector(t)
	salt, _ := hex.DecodeString(vec.SaltHex)
	ver := verifierFor(vec.PoolName, vec.UserID, vec.Password, salt)
	if got := hex.EncodeToString(ver.V); got != vec.VerifierHex {
		t.Fatalf("verifier = %s…; want %s…", got[:16], vec.VerifierHex[:16])
	}

	a := mustHex(vec.AHex)
	c := &Client{poolName: vec.PoolName, a: a, bigA: new(big.Int).Exp(groupG, a, groupN)}
	if got := c.SRPA(); got != vec.SRPA {
		t.Errorf("SRPA() = %s…; want %s…", got[:16], vec.SRPA[:16])
	}
	ts, err := ParseTimestamp(vec.Timestamp)
	if err != nil {
		t.Fatal(err)
	}
	claim, err := c.Claim(vec.UserID, vec.Password, vec.SaltHex, vec.SRPB, vec.SecretBlock, ts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(PasswordClaim{Signature: vec.Signature, Timestamp: vec.Timestamp}, claim); diff != "" {
		t.Errorf("Claim() mismatch (-js +go):\n%s", diff)
	}

	s := newServerSession(vec.PoolName, vec.UserID, mustHex(vec.SRPA), new(big.Int).SetBytes(ver.V), mustHex(vec.BHex))
	if got := s.SRPB(); got != vec.SRPB {
		t.Errorf("SRPB() = %s…; want %s…", got[:16], vec.SRPB[:16])
	}
	block, _ := base64.StdEncoding.DecodeString(vec.SecretBlock)
	if err := s.VerifyClaim(block, vec.Timestamp, vec.Signature); err != nil {
		t.Errorf("VerifyClaim(js signature) = %v; want nil", err)
	}
}

func TestRoundTrip(t *testing.T) {
	const pool, user, password = "eu-west-1_AbC123xyz", "alice", "S3cret-password"
	ver, err := NewVerifier(PoolName(pool), user, password)
	if err != nil {
		t.Fatal(err)
	}
	block := []byte("opaque secret block")
	blockB64 := base64.StdEncoding.EncodeToString(block)
	now := time.Date(2026, 3, 3, 9, 5, 7, 0, time.UTC)

	tests := []struct {
		name     string
		password string
		block    []byte
		time     string
		want     error
	}{
		{"right password", password, block, "", nil},
		{"wrong password", "S3cret-passwore", block, "", ErrMismatch},
		{"other secret block", password, []byte("another block"), "", ErrMismatch},
		{"other timestamp", password, block, FormatTimestamp(now.Add(time.Second)), ErrMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(pool)
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewServerSession(PoolName(pool), user, c.SRPA(), ver)
			if err != nil {
				t.Fatal(err)
			}
			claim, err := c.Claim(user, tc.password, ver.SaltHex(), s.SRPB(), blockB64, now)
			if err != nil {
				t.Fatal(err)
			}
			ts := claim.Timestamp
			if tc.time != "" {
				ts = tc.time
			}
			if err := s.VerifyClaim(tc.block, ts, claim.Signature); !errors.Is(err, tc.want) {
				t.Errorf("VerifyClaim() = %v; want %v", err, tc.want)
			}
		})
	}
}

func TestVerifierCheck(t *testing.T) {
	ver, err := NewVerifier("pool", "bob", "pa55word!")
	if err != nil {
		t.Fatal(err)
	}
	if err := ver.Check("pool", "bob", "pa55word!"); err != nil {
		t.Errorf("Check(right) = %v; want nil", err)
	}
	for _, tc := range []struct{ pool, user, password string }{
		{"pool", "bob", "pa55word"},
		{"pool", "Bob", "pa55word!"},
		{"other", "bob", "pa55word!"},
	} {
		if err := ver.Check(tc.pool, tc.user, tc.password); !errors.Is(err, ErrMismatch) {
			t.Errorf("Check(%q, %q, %q) = %v; want ErrMismatch", tc.pool, tc.user, tc.password, err)
		}
	}
	other, err := NewVerifier("pool", "bob", "pa55word!")
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(other.Salt) == hex.EncodeToString(ver.Salt) {
		t.Error("two verifiers share a salt; want a fresh random salt each")
	}
}

func TestFakeVerifier(t *testing.T) {
	secret := []byte("server secret")
	a := FakeVerifier(secret, "pool", "nobody")
	if diff := cmp.Diff(a, FakeVerifier(secret, "pool", "nobody")); diff != "" {
		t.Errorf("FakeVerifier is not stable (-first +second):\n%s", diff)
	}
	if b := FakeVerifier(secret, "pool", "someone"); cmp.Equal(a.Salt, b.Salt) {
		t.Error("FakeVerifier gives two names the same salt")
	}
	if len(a.Salt) != 16 || len(a.V) != modBytes || new(big.Int).SetBytes(a.V).Cmp(groupN) >= 0 {
		t.Errorf("FakeVerifier shape: salt %d bytes, v %d bytes; want 16 and %d below N", len(a.Salt), len(a.V), modBytes)
	}
	if err := a.Check("pool", "nobody", ""); !errors.Is(err, ErrMismatch) {
		t.Errorf("FakeVerifier.Check = %v; want ErrMismatch", err)
	}
	// A full SRP exchange against a fake verifier runs to the end and fails like a wrong password.
	c, _ := NewClient("x_pool")
	s, err := NewServerSession("pool", "nobody", c.SRPA(), a)
	if err != nil {
		t.Fatal(err)
	}
	claim, err := c.Claim("nobody", "guess", a.SaltHex(), s.SRPB(), "AAAA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyClaim([]byte{0, 0, 0}, claim.Timestamp, claim.Signature); !errors.Is(err, ErrMismatch) {
		t.Errorf("VerifyClaim against a fake verifier = %v; want ErrMismatch", err)
	}
}

func TestRefusesBadValues(t *testing.T) {
	ver, _ := NewVerifier("pool", "u", "p")
	// A must lie in [1, N-1]: N+1 is not zero modulo N, yet no client computes it; nor a longer A with leading zeros.
	above := new(big.Int).Add(groupN, big.NewInt(1)).Text(16)
	for _, a := range []string{"0", nHex, new(big.Int).Lsh(groupN, 1).Text(16), above, "ff" + nHex, "not-hex", "", "-5"} {
		if _, err := NewServerSession("pool", "u", a, ver); !errors.Is(err, ErrBadValue) {
			t.Errorf("NewServerSession(A=%.10q) = %v; want ErrBadValue", a, err)
		}
	}
	c, _ := NewClient("x_pool")
	for _, tc := range []struct{ salt, b, block string }{
		{"zz", "5", "AAAA"},
		{"aa", "0", "AAAA"},
		{"aa", nHex, "AAAA"},
		{"aa", "5", "***"},
	} {
		if _, err := c.Claim("u", "p", tc.salt, tc.b, tc.block, time.Now()); !errors.Is(err, ErrBadValue) {
			t.Errorf("Claim(salt=%q, B=%.10q, block=%q) = %v; want ErrBadValue", tc.salt, tc.b, tc.block, err)
		}
	}
}

func TestParseA(t *testing.T) {
	top := new(big.Int).Sub(groupN, big.NewInt(1))
	for _, a := range []string{"1", "0001", top.Text(16), "00" + top.Text(16), "AbC"} {
		if _, err := ParseA(a); err != nil {
			t.Errorf("ParseA(%.10q) error = %v; want a valid A", a, err)
		}
	}
	if n := Modulus(); n.Cmp(groupN) != 0 || n == groupN {
		t.Errorf("Modulus() = %v; want a copy of N", n)
	}
}

func TestTimestamp(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 3, 3, 9, 5, 7, 0, time.UTC), "Tue Mar 3 09:05:07 UTC 2026"},
		{time.Date(2026, 11, 25, 23, 59, 0, 0, time.UTC), "Wed Nov 25 23:59:00 UTC 2026"},
		{time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)), "Thu Jan 1 00:00:00 UTC 2026"},
	}
	for _, tc := range tests {
		if got := FormatTimestamp(tc.t); got != tc.want {
			t.Errorf("FormatTimestamp(%v) = %q; want %q", tc.t, got, tc.want)
		}
		back, err := ParseTimestamp(tc.want)
		if err != nil || !back.Equal(tc.t) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v", tc.want, back, err, tc.t)
		}
	}
	if _, err := ParseTimestamp("2026-03-03T09:05:07Z"); !errors.Is(err, ErrBadValue) {
		t.Errorf("ParseTimestamp(RFC 3339) = %v; want ErrBadValue", err)
	}
}

func TestPadAndPoolName(t *testing.T) {
	for _, tc := range []struct {
		n    *big.Int
		want string
	}{
		{big.NewInt(0), "00"},
		{big.NewInt(2), "02"},
		{big.NewInt(0x7f), "7f"},
		{big.NewInt(0x80), "0080"},
		{big.NewInt(0x1234), "1234"},
		{big.NewInt(0xabc), "0abc"},
	} {
		if got := hex.EncodeToString(pad(tc.n)); got != tc.want {
			t.Errorf("pad(%x) = %s; want %s", tc.n, got, tc.want)
		}
	}
	for in, want := range map[string]string{"eu-west-1_AbC123xyz": "AbC123xyz", "noUnderscore": "noUnderscore"} {
		if got := PoolName(in); got != want {
			t.Errorf("PoolName(%q) = %q; want %q", in, got, want)
		}
	}
}

func BenchmarkServerSession(b *testing.B) {
	ver, _ := NewVerifier("pool", "u", "p")
	c, _ := NewClient("x_pool")
	for b.Loop() {
		s, _ := NewServerSession("pool", "u", c.SRPA(), ver)
		s.VerifyClaim([]byte("x"), "t", "AAAA")
	}
}

func BenchmarkClient(b *testing.B) {
	ver, _ := NewVerifier("pool", "u", "p")
	for b.Loop() {
		c, _ := NewClient("x_pool")
		c.Claim("u", "p", ver.SaltHex(), "1234567", "AAAA", time.Now())
	}
}

func BenchmarkVerifierCheck(b *testing.B) {
	ver, _ := NewVerifier("pool", "u", "p")
	for b.Loop() {
		ver.Check("pool", "u", "p")
	}
}

func TestPowGMatchesExp(t *testing.T) {
	max := new(big.Int).Lsh(big.NewInt(1), exponentBytes*8)
	cases := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(255), big.NewInt(256), new(big.Int).Sub(max, big.NewInt(1)), max, new(big.Int).Lsh(max, 3)}
	for range 20 {
		e, _ := randomExponent()
		cases = append(cases, e)
	}
	for _, e := range cases {
		if got, want := powG(e), new(big.Int).Exp(groupG, e, groupN); got.Cmp(want) != 0 {
			t.Errorf("powG(%x) differs from Exp", e)
		}
	}
}

func BenchmarkPowG(b *testing.B) {
	e, _ := randomExponent()
	powG(e)
	for b.Loop() {
		powG(e)
	}
}

// TestVectorComesFromAmazonCognitoIdentityJS recomputes the vector's client side with the npm library itself, so the
// expected values above are the library's output, not ours.
func TestVectorComesFromAmazonCognitoIdentityJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: install Node.js 20+ (apt-get install nodejs npm), then run `npm ci` in the repository root")
	}
	if _, err := os.Stat("../node_modules/amazon-cognito-identity-js/package.json"); err != nil {
		t.Fatalf("amazon-cognito-identity-js is not installed (%v): run `npm ci` in the repository root", err)
	}
	out, err := exec.Command(node, "testdata/js_vector.js", "testdata/js_vector.json").Output()
	if err != nil {
		t.Fatalf("node testdata/js_vector.js: %v", err)
	}
	var got struct{ SRPA, HKDFHex, Signature string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("script output %q: %v", out, err)
	}
	vec := loadVector(t)
	if got.SRPA == "" || got.HKDFHex == "" || got.Signature == "" {
		t.Fatalf("script output %q lacks srpA, hkdfHex or signature", out)
	}
	want := struct{ SRPA, HKDFHex, Signature string }{vec.SRPA, vec.HKDFHex, vec.Signature}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("amazon-cognito-identity-js disagrees with testdata/js_vector.json (-file +js):\n%s", diff)
	}
}
