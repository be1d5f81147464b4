import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Auth, AuthError, SessionEndedError } from './auth';
import type { SessionStorage } from './auth';
import type { Config } from './config';

const config: Config = {
  apiUrl: 'http://127.0.0.1:3000/',
  region: 'us-east-1',
  userPoolId: 'us-east-1_AbC123',
  userPoolClientId: 'client123',
  cognitoEndpoint: 'http://127.0.0.1:9229/',
  passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true },
};
const KEY = 'authnotes.session.client123';
const NOW = 1_700_000_000_000;

/** jwt makes an unsigned token with the claims the app reads; the app never checks signatures (the API does). */
function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256' })}.${b64(claims)}.sig`;
}
const iat = NOW / 1000;
const access = (n: number) => jwt({ token_use: 'access', iat, exp: iat + 3600, n });
const id = jwt({ token_use: 'id', iat, exp: iat + 3600, email: 'alice@example.com' });

class MapStorage implements SessionStorage {
  items = new Map<string, string>();
  getItem(k: string) {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.items.set(k, v);
  }
  removeItem(k: string) {
    this.items.delete(k);
  }
}

interface Call {
  url: string;
  operation: string;
  params: Record<string, unknown>;
}

/** fakeCognito answers Cognito's JSON protocol by operation (X-Amz-Target) and records each call. */
function fakeCognito(answer: (operation: string, params: Record<string, unknown>) => Response | Error | Promise<Response | Error>) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = init?.headers as Record<string, string>;
    const operation = (headers['X-Amz-Target'] ?? '').replace('AWSCognitoIdentityProviderService.', '');
    const params = JSON.parse(String(init?.body)) as Record<string, unknown>;
    calls.push({ url: String(input), operation, params });
    const r = await answer(operation, params);
    if (r instanceof Error) throw r;
    return r;
  });
  return calls;
}

const refused = (type: string, message: string) => Response.json({ __type: type, message }, { status: 400 });

let storage: MapStorage;
let now: number;
function newAuth() {
  return new Auth({ config, storage, now: () => now });
}
function store(expiresAt: number, accessToken = access(1)) {
  storage.setItem(KEY, JSON.stringify({ email: 'alice@example.com', accessToken, idToken: id, refreshToken: 'refresh-1', expiresAt }));
}
function stored(): Record<string, unknown> | undefined {
  const raw = storage.getItem(KEY);
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
}

beforeEach(() => {
  storage = new MapStorage();
  now = NOW;
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('session restore', () => {
  it('uses a stored, valid access token without calling Cognito', async () => {
    const calls = fakeCognito(() => new Error('no call expected'));
    store(NOW + 30 * 60_000);
    const auth = newAuth();
    expect(auth.signedIn()).toBe(true);
    expect(auth.email()).toBe('alice@example.com');
    expect(await auth.accessToken()).toBe(access(1));
    expect(calls).toHaveLength(0);
  });

  it('refreshes an access token about to expire, keeping the refresh token', async () => {
    const calls = fakeCognito(() => Response.json({ AuthenticationResult: { AccessToken: access(2), IdToken: id, ExpiresIn: 3600 } }));
    store(NOW + 30_000);
    expect(await newAuth().accessToken()).toBe(access(2));
    expect(calls).toEqual([
      {
        url: 'http://127.0.0.1:9229/',
        operation: 'InitiateAuth',
        params: { ClientId: 'client123', AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: 'refresh-1' } },
      },
    ]);
    expect(stored()).toMatchObject({ accessToken: access(2), refreshToken: 'refresh-1', expiresAt: NOW + 3600_000 });
  });

  it('shares one refresh between concurrent callers', async () => {
    const calls = fakeCognito(() => Response.json({ AuthenticationResult: { AccessToken: access(2), IdToken: id } }));
    store(NOW - 1);
    const auth = newAuth();
    expect(await Promise.all([auth.accessToken(), auth.accessToken(), auth.refresh()])).toEqual([access(2), access(2), access(2)]);
    expect(calls).toHaveLength(1);
  });

  it('refreshes once for requests refused one after the other with the same old token', async () => {
    const calls = fakeCognito(() => Response.json({ AuthenticationResult: { AccessToken: access(2), IdToken: id } }));
    store(NOW + 30 * 60_000);
    const auth = newAuth();
    // Two requests left with access(1); the API refused both, the second only after the first had renewed it.
    expect(await auth.refresh(access(1))).toBe(access(2));
    expect(await auth.refresh(access(1))).toBe(access(2));
    expect(calls).toHaveLength(1);
    expect(await auth.refresh(access(2))).toBe(access(2)); // the new token refused too: ask Cognito again
    expect(calls).toHaveLength(2);
  });

  it('ends the session when Cognito refuses the refresh, at the first refusal', async () => {
    const calls = fakeCognito(() => refused('NotAuthorizedException', 'Refresh Token has been revoked'));
    store(NOW - 1);
    const auth = newAuth();
    const err = await auth.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionEndedError);
    expect((err as Error).message).toMatch(/session has ended .* Sign in again/);
    expect(calls).toHaveLength(1); // no retries of a final answer
    expect(auth.signedIn()).toBe(false);
    expect(storage.items.size).toBe(0);
  });

  it('keeps the session when Cognito cannot be reached', async () => {
    fakeCognito(() => new TypeError('Failed to fetch'));
    store(NOW - 1);
    const auth = newAuth();
    const err = await auth.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).not.toBeInstanceOf(SessionEndedError);
    expect(err).toMatchObject({ code: 'NetworkError' });
    expect(auth.signedIn()).toBe(true);
  });

  it('sees a sign-out in another tab and forgets a damaged entry', async () => {
    fakeCognito(() => new Error('no call expected'));
    const auth = newAuth();
    await expect(auth.accessToken()).rejects.toBeInstanceOf(SessionEndedError);
    storage.setItem(KEY, '{"email":');
    expect(auth.signedIn()).toBe(false);
    expect(storage.items.size).toBe(0);
  });
});

describe('another account in another tab', () => {
  it('never lends this tab the session another account stored, nor ends it', async () => {
    const calls = fakeCognito(() => new Error('no call expected'));
    store(NOW + 30 * 60_000);
    const auth = newAuth();
    expect(await auth.accessToken()).toBe(access(1)); // alice, from the storage this tab started with
    const bob = { email: 'bob@example.com', accessToken: access(9), idToken: id, refreshToken: 'refresh-bob', expiresAt: NOW + 30 * 60_000 };
    storage.setItem(KEY, JSON.stringify(bob)); // bob signed in in another tab
    await expect(auth.accessToken()).rejects.toBeInstanceOf(SessionEndedError);
    await expect(auth.refresh(access(1))).rejects.toBeInstanceOf(SessionEndedError);
    expect(auth.signedIn()).toBe(false);
    expect(auth.otherAccountSignedIn()).toBe(true);
    auth.forget();
    expect(await auth.signOut()).toBeUndefined();
    expect(calls).toHaveLength(0);
    expect(stored()).toEqual(bob); // bob's session is not this tab's to end
  });
});

describe('signOut', () => {
  it('signs out globally and revokes the refresh token, like notesctl logout', async () => {
    const calls = fakeCognito(() => Response.json({}));
    store(NOW + 30 * 60_000);
    expect(await newAuth().signOut()).toBeUndefined();
    expect(calls.map((c) => [c.operation, c.params])).toEqual([
      ['GlobalSignOut', { AccessToken: access(1) }],
      ['RevokeToken', { ClientId: 'client123', Token: 'refresh-1' }],
    ]);
    expect(storage.items.size).toBe(0);
  });

  it('treats an already dead session as signed out', async () => {
    fakeCognito(() => refused('NotAuthorizedException', 'Access Token has been revoked'));
    store(NOW + 30 * 60_000);
    expect(await newAuth().signOut()).toBeUndefined();
    expect(storage.items.size).toBe(0);
  });

  it('signs out globally first, then revokes, and forgets the session before Cognito answers', async () => {
    const answers: Record<string, () => void> = {};
    const calls = fakeCognito(
      (operation) => new Promise<Response>((resolve) => (answers[operation] = () => resolve(Response.json({})))),
    );
    store(NOW + 30 * 60_000);
    const auth = newAuth();
    const done = auth.signOut();
    await vi.waitFor(() => expect(calls.map((c) => c.operation)).toEqual(['GlobalSignOut']));
    expect(auth.signedIn()).toBe(false); // a Cognito that never answers leaves nothing behind
    expect(storage.items.size).toBe(0);
    answers['GlobalSignOut']?.();
    await vi.waitFor(() => expect(calls.map((c) => c.operation)).toEqual(['GlobalSignOut', 'RevokeToken']));
    answers['RevokeToken']?.();
    expect(await done).toBeUndefined();
  });

  it('still revokes the refresh token when the global sign-out fails', async () => {
    const calls = fakeCognito((operation) =>
      operation === 'GlobalSignOut' ? refused('InternalErrorException', 'boom') : Response.json({}),
    );
    store(NOW + 30 * 60_000);
    expect(await newAuth().signOut()).toMatch(/signed out on this device/);
    expect(calls.map((c) => c.operation)).toEqual(['GlobalSignOut', 'RevokeToken']);
    expect(storage.items.size).toBe(0);
  });

  it('signs out globally with a fresh token when the stored one expired, without storing it', async () => {
    const calls = fakeCognito((operation) =>
      operation === 'InitiateAuth' ? Response.json({ AuthenticationResult: { AccessToken: access(2), IdToken: id } }) : Response.json({}),
    );
    store(NOW - 1);
    expect(await newAuth().signOut()).toBeUndefined();
    expect(calls.map((c) => [c.operation, c.params['AccessToken'] ?? c.params['Token'] ?? ''])).toEqual([
      ['InitiateAuth', ''],
      ['GlobalSignOut', access(2)],
      ['RevokeToken', 'refresh-1'],
    ]);
    expect(storage.items.size).toBe(0);
  });

  it('does not let a refresh that was under way bring the session back', async () => {
    let answerRefresh: (() => void) | undefined;
    const refreshed = Response.json({ AuthenticationResult: { AccessToken: access(2), IdToken: id } });
    fakeCognito((operation) => {
      if (operation !== 'InitiateAuth' || answerRefresh) return operation === 'InitiateAuth' ? refreshed.clone() : Response.json({});
      return new Promise<Response>((resolve) => {
        answerRefresh = () => resolve(refreshed.clone()); // the first refresh answers only after the sign-out
      });
    });
    store(NOW - 1);
    const auth = newAuth();
    const token = auth.accessToken().catch((e: unknown) => e);
    await vi.waitFor(() => expect(answerRefresh).toBeDefined());
    await auth.signOut();
    answerRefresh?.();
    expect(await token).toBeInstanceOf(SessionEndedError);
    expect(auth.signedIn()).toBe(false);
    expect(storage.items.size).toBe(0);
  });

  it('gives up on a Cognito that does not answer, and says so', async () => {
    vi.useFakeTimers();
    try {
      fakeCognito(() => new Promise<Response>(() => {}));
      store(NOW + 30 * 60_000);
      const done = newAuth().signOut();
      await vi.advanceTimersByTimeAsync(30_000);
      expect(await done).toMatch(/signed out on this device, but the sign-in service could not be reached/);
      expect(storage.items.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('forgets the session but warns when Cognito cannot be reached', async () => {
    fakeCognito(() => new TypeError('Failed to fetch'));
    store(NOW + 30 * 60_000);
    expect(await newAuth().signOut()).toMatch(/signed out on this device, but the sign-in service could not be reached/);
    expect(storage.items.size).toBe(0);
  });
});

describe('account operations', () => {
  it('signs up with the e-mail as user name and attribute, and says where the code went', async () => {
    const calls = fakeCognito(() => Response.json({ UserConfirmed: false, CodeDeliveryDetails: { Destination: 'a***@e***' } }));
    expect(await newAuth().signUp('alice@example.com', 'Correct-Horse-9!')).toBe('a***@e***');
    expect(calls[0]).toMatchObject({
      operation: 'SignUp',
      params: { ClientId: 'client123', Username: 'alice@example.com', UserAttributes: [{ Name: 'email', Value: 'alice@example.com' }] },
    });
  });

  it('turns Cognito refusals into sentences', async () => {
    fakeCognito(() => refused('InvalidPasswordException', 'Password did not conform with policy: Password must have symbol characters'));
    await expect(newAuth().signUp('a@example.com', 'x')).rejects.toThrowError(
      'Cognito refused the password: Password must have symbol characters.',
    );
    fakeCognito(() => refused('UsernameExistsException', 'An account with the given email already exists.'));
    await expect(newAuth().signUp('a@example.com', 'x')).rejects.toThrowError(/already exists. Sign in, or reset its password/);
    fakeCognito(() => refused('CodeMismatchException', 'Invalid verification code provided, please try again.'));
    await expect(newAuth().confirmSignUp('a@example.com', '1')).rejects.toThrowError(/That code is not right/);
    fakeCognito(() => refused('PasswordResetRequiredException', 'Password reset required for the user'));
    await expect(newAuth().signIn('a@example.com', 'x')).rejects.toThrowError(
      'This account needs a new password. Use "Forgot your password?" to choose one.',
    );
    fakeCognito(() => refused('InvalidParameterException', 'Invalid email address format.'));
    await expect(newAuth().signUp('a@', 'x')).rejects.toThrowError('Cognito refused the request: Invalid email address format.');
  });

  it('starts SRP without sending the password, and reports an unconfirmed account', async () => {
    const calls = fakeCognito(() => refused('UserNotConfirmedException', 'User is not confirmed.'));
    const err = await newAuth().signIn('alice@example.com', 'Correct-Horse-9!').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UserNotConfirmedException' });
    expect(calls[0]?.operation).toBe('InitiateAuth');
    expect(calls[0]?.params).toMatchObject({ AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: 'alice@example.com' } });
    expect(JSON.stringify(calls)).not.toContain('Correct-Horse-9!');
    expect(storage.items.size).toBe(0);
  });
});
