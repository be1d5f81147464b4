// Drives the local Cognito endpoint with amazon-cognito-identity-js, the SRP client browsers and Amplify apps use:
// sign up, confirm with the code from the outbox, sign in with SRP, read the user, refresh the session, change the
// password, sign out everywhere, reset the password with a code from the outbox and sign in again.
// Usage: node signup-signin.js <endpoint> <userPoolId> <clientId> <email> <password>
// Prints one JSON line with the tokens; exits non-zero with the error on failure.
'use strict';

const {
	CognitoUserPool,
	CognitoUser,
	CognitoUserAttribute,
	AuthenticationDetails,
} = require('amazon-cognito-identity-js');

const [endpoint, userPoolId, clientId, email, password] = process.argv.slice(2);
if (!password) {
	console.error('usage: node signup-signin.js <endpoint> <userPoolId> <clientId> <email> <password>');
	process.exit(2);
}

const pool = new CognitoUserPool({ UserPoolId: userPoolId, ClientId: clientId, endpoint: endpoint + '/' });

function call(fn) {
	return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result))));
}

async function outboxCode(to) {
	const resp = await fetch(`${endpoint}/_local/outbox?to=${encodeURIComponent(to)}`);
	if (!resp.ok) throw new Error(`GET /_local/outbox: ${resp.status}`);
	const { messages } = await resp.json();
	if (!messages.length) throw new Error(`no message to ${to} in the outbox`);
	return messages[messages.length - 1].code;
}

async function run() {
	const attrs = [new CognitoUserAttribute({ Name: 'email', Value: email })];
	const signUp = await call(cb => pool.signUp(email, password, attrs, null, cb));
	const user = new CognitoUser({ Username: email, Pool: pool });
	const code = await outboxCode(email);
	await call(cb => user.confirmRegistration(code, true, cb));

	const session = await new Promise((resolve, reject) =>
		user.authenticateUser(new AuthenticationDetails({ Username: email, Password: password }), {
			onSuccess: resolve,
			onFailure: reject,
			mfaRequired: () => reject(new Error('unexpected MFA challenge')),
			newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED challenge')),
		})
	);
	const attributes = await call(cb => user.getUserAttributes(cb));
	const refreshed = await call(cb => user.refreshSession(session.getRefreshToken(), cb));
	const signIn = (u, pw) =>
		new Promise((resolve, reject) =>
			u.authenticateUser(new AuthenticationDetails({ Username: email, Password: pw }), {
				onSuccess: resolve,
				onFailure: reject,
			})
		);
	const wrong = await signIn(new CognitoUser({ Username: email, Pool: pool }), password + 'x').then(
		() => 'signed in with a wrong password',
		err => err.code
	);

	const changed = password + 'C';
	await call(cb => user.changePassword(password, changed, cb));
	await new Promise((resolve, reject) => user.globalSignOut({ onSuccess: resolve, onFailure: reject }));
	const afterSignOut = await new Promise(resolve =>
		pool.client.request('GetUser', { AccessToken: session.getAccessToken().getJwtToken() }, err => resolve(err ? err.code : 'accepted'))
	);

	const forgetful = new CognitoUser({ Username: email, Pool: pool });
	await new Promise((resolve, reject) => forgetful.forgotPassword({ onSuccess: resolve, onFailure: reject, inputVerificationCode: resolve }));
	const reset = changed + 'R';
	const resetCode = await outboxCode(email);
	await new Promise((resolve, reject) => forgetful.confirmPassword(resetCode, reset, { onSuccess: resolve, onFailure: reject }));
	const afterReset = await signIn(new CognitoUser({ Username: email, Pool: pool }), reset);
	console.log(JSON.stringify({
		userSub: signUp.userSub,
		idToken: session.getIdToken().getJwtToken(),
		accessToken: session.getAccessToken().getJwtToken(),
		refreshedAccessToken: refreshed.getAccessToken().getJwtToken(),
		attributes: Object.fromEntries(attributes.map(a => [a.getName(), a.getValue()])),
		wrongPassword: wrong,
		accessTokenAfterSignOut: afterSignOut,
		afterResetSub: afterReset.getIdToken().decodePayload().sub,
	}));
}

run().catch(err => {
	console.error(`${err.code || err.name}: ${err.message}`);
	process.exit(1);
});
