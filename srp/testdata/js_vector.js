// Recomputes testdata/js_vector.json's client side with amazon-cognito-identity-js (the library browsers and
// Amplify use), from the vector's inputs: the fixed secret a, SALT, SRP_B, the user, password, secret block and
// timestamp. Prints {"srpA", "hkdfHex", "signature"} for the Go test to compare.
// Usage: node js_vector.js <path to js_vector.json>
'use strict';

const fs = require('fs');
const AuthenticationHelper = require('amazon-cognito-identity-js/lib/AuthenticationHelper').default;
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default;
const { Sha256 } = require('@aws-crypto/sha256-js');

const v = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const helper = new AuthenticationHelper(v.poolName);
helper.smallAValue = new BigInteger(v.aHex, 16);
helper.largeAValue = null;
helper.getLargeAValue(() => {});
helper.getPasswordAuthenticationKey(v.userID, v.password, new BigInteger(v.srpB, 16), new BigInteger(v.saltHex, 16), (err, hkdf) => {
	if (err) {
		console.error(err);
		process.exit(1);
	}
	const mac = new Sha256(hkdf);
	mac.update(Buffer.concat([
		Buffer.from(v.poolName, 'utf8'),
		Buffer.from(v.userID, 'utf8'),
		Buffer.from(v.secretBlock, 'base64'),
		Buffer.from(v.timestamp, 'utf8'),
	]));
	console.log(JSON.stringify({
		srpA: helper.largeAValue.toString(16),
		hkdfHex: Buffer.from(hkdf).toString('hex'),
		signature: Buffer.from(mac.digestSync()).toString('base64'),
	}));
});
