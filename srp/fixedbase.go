package srp

import (
	"math/big"
	"sync"
)

// Powers of the generator g are most of SRP's cost (A = g^a, B = k·v + g^b, v = g^x for every password check),
// and g never changes, so they use a precomputed table: g^(j·2^(8i)) for every byte position i of a 256-bit
// exponent and every byte value j. An exponentiation is then 32 multiplications instead of ~300, about ten times
// faster. The table takes 3 MB and ~20 ms to build, on first use. Like math/big's Exp, it is not constant-time;
// the exponents are per-sign-in random values or password hashes whose timing leaks nothing useful to a remote
// peer across a network round trip dominated by RSA signing.
const (
	windowBits  = 8
	windowCount = exponentBytes * 8 / windowBits
)

var (
	gTableOnce sync.Once
	gTable     [windowCount][1 << windowBits]*big.Int
)

func buildGTable() {
	base := new(big.Int).Set(groupG)
	for i := range windowCount {
		gTable[i][0] = big.NewInt(1)
		gTable[i][1] = new(big.Int).Set(base)
		for j := 2; j < 1<<windowBits; j++ {
			p := new(big.Int).Mul(gTable[i][j-1], base)
			gTable[i][j] = p.Mod(p, groupN)
		}
		next := new(big.Int).Mul(gTable[i][(1<<windowBits)-1], base)
		base = next.Mod(next, groupN)
	}
}

// powG returns g^e mod N.
func powG(e *big.Int) *big.Int {
	if e.Sign() < 0 || e.BitLen() > exponentBytes*8 {
		return new(big.Int).Exp(groupG, e, groupN)
	}
	gTableOnce.Do(buildGTable)
	var buf [exponentBytes]byte
	e.FillBytes(buf[:])
	r := big.NewInt(1)
	for i := range windowCount {
		// buf is big-endian: window i (least significant first) is byte exponentBytes-1-i.
		if j := buf[exponentBytes-1-i]; j != 0 {
			r.Mul(r, gTable[i][j])
			r.Mod(r, groupN)
		}
	}
	return r
}
