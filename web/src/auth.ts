// The one module that talks to Cognito. It owns amazon-cognito-identity-js, the session kept in the browser's
// storage (so it survives a reload), and the silent refresh of the access token. Sign-in runs SRP in the browser:
// the password itself is never sent.
import { AuthenticationDetails, CognitoAccessToken, CognitoIdToken, CognitoUser, CognitoUserPool } from 'amazon-cognito-identity-js';
import type { ICognitoStorage } from 'amazon-cognito-identity-js';

import { cognitoEndpoint } from './config';
import type { Config } from './config';

/** AuthError carries Cognito's error code and a sentence for the user as its message. */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** SessionEndedError means the user must sign in again: the session expired, was revoked, or was signed out. */
export class SessionEndedError extends AuthError {
  override name = 'SessionEndedError';
  constructor(message = 'Your session has ended. Sign in again to continue.') {
    super('SessionEnded', message);
  }
}

/** The part of the Web Storage API the session needs (localStorage in the browser). */
export type SessionStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

interface StoredSession {
  email: string;
  accessToken: string;
  idToken: string;
  refreshToken: string;
  /** When the access token stops being accepted, in this browser's clock (ms since the epoch). */
  expiresAt: number;
}

/** What Cognito (through the library) reports on failure. */
interface CognitoFailure {
  code?: unknown;
  name?: unknown;
  message?: unknown;
}

type Callback = (err: CognitoFailure | null, data?: unknown) => void;

/** The library's client for Cognito's JSON API: one request, no retries. */
interface CognitoClient {
  request(operation: string, params: object, callback: Callback): void;
}

/** How long before its expiry an access token is replaced, so a request never leaves with a token about to lapse. */
const REFRESH_MARGIN_MS = 60_000;

/** How long a Cognito request may take: the library's fetch has no limit, and a hung request would block the app. */
const CALL_TIMEOUT_MS = 15_000;

/** sentence turns a Cognito error into something a person can act on. */
export function sentence(code: string, message: string): string {
  switch (code) {
    case 'UsernameExistsException':
      return 'An account with this email address already exists. Sign in, or reset its password.';
    case 'InvalidPasswordException':
      // Cognito says which rule failed: "Password did not conform with policy: Password must have symbol characters".
      return `Cognito refused the password: ${message.replace(/^Password did not conform with policy:\s*/, '').replace(/\.?$/, '.')}`;
    case 'CodeMismatchException':
      return 'That code is not right. Check the email and enter the code again.';
    case 'ExpiredCodeException':
      return 'That code has expired. Ask for a new code.';
    case 'LimitExceededException':
    case 'TooManyRequestsException':
    case 'TooManyFailedAttemptsException':
      return 'Too many attempts. Wait a few minutes, then try again.';
    case 'UserNotConfirmedException':
      return 'This account is not confirmed yet. Enter the code from the email we sent you.';
    case 'UserNotFoundException':
      return 'Incorrect email or password.';
    case 'NotAuthorizedException':
      if (/attempts exceeded/i.test(message)) return 'Too many failed attempts. Wait a few minutes, then try again.';
      if (/incorrect username or password/i.test(message)) return 'Incorrect email or password.';
      if (/current status is CONFIRMED/i.test(message)) return 'This account is already confirmed. Sign in.';
      return `Cognito refused the request: ${message}`;
    case 'InvalidParameterException':
      return `Cognito refused the request: ${message}`;
    case 'NetworkError':
      return 'Cannot reach the sign-in service. Check your connection and try again.';
    case 'TotpRequired':
      return 'This account signs in with an authenticator app code, which this web app does not support yet. Use notesctl.';
    case 'NewPasswordRequired':
    case 'PasswordResetRequiredException':
      return 'This account needs a new password. Use "Forgot your password?" to choose one.';
  }
  return message ? `The sign-in service refused the request: ${message}` : 'The sign-in service refused the request.';
}

function failure(err: CognitoFailure | unknown): AuthError {
  const f = (typeof err === 'object' && err !== null ? err : {}) as CognitoFailure;
  const code = typeof f.code === 'string' ? f.code : typeof f.name === 'string' ? f.name : 'Unknown';
  const message = typeof f.message === 'string' ? f.message : '';
  return new AuthError(code, sentence(code, message));
}

// The library keeps its own copy of a signed-in user's tokens in its storage; this module keeps the session itself,
// so the library gets a throwaway store.
class MemoryStorage implements ICognitoStorage {
  private items = new Map<string, string>();
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  clear(): void {
    this.items.clear();
  }
}

/** The lifetime of an access token (exp − iat), so expiry is measured in this browser's clock, whatever its skew. */
function lifetimeMs(accessToken: string): number {
  const t = new CognitoAccessToken({ AccessToken: accessToken });
  const exp = t.getExpiration();
  const iat = t.getIssuedAt();
  return typeof exp === 'number' && typeof iat === 'number' && exp > iat ? (exp - iat) * 1000 : 0;
}

interface AuthenticationResult {
  AccessToken?: string;
  IdToken?: string;
  RefreshToken?: string;
}

export interface AuthOptions {
  config: Config;
  storage: SessionStorage;
  /** The clock. Default: Date.now. */
  now?: () => number;
}

export class Auth {
  private readonly pool: CognitoUserPool;
  private readonly client: CognitoClient;
  private readonly clientId: string;
  private readonly storage: SessionStorage;
  private readonly key: string;
  private readonly now: () => number;
  private refreshing: Promise<string> | undefined;
  /** The account this tab signed in as (the sign-in name), once known. */
  private account: string | undefined;

  constructor(opts: AuthOptions) {
    this.clientId = opts.config.userPoolClientId;
    this.storage = opts.storage;
    this.now = opts.now ?? Date.now;
    this.key = `authnotes.session.${this.clientId}`;
    this.pool = new CognitoUserPool({
      UserPoolId: opts.config.userPoolId,
      ClientId: this.clientId,
      endpoint: cognitoEndpoint(opts.config),
      Storage: new MemoryStorage(),
    });
    // The library's public refreshSession, revokeTokens and globalSignOut retry every failure, a refusal included,
    // for about six seconds; a refused refresh is final, so those calls go once through the library's own client.
    const client = (this.pool as unknown as { client?: CognitoClient }).client;
    if (!client || typeof client.request !== 'function') {
      throw new Error('amazon-cognito-identity-js has no request client: check the pinned version (6.3.21)');
    }
    this.client = client;
  }

  private call<T>(operation: string, params: object): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new AuthError('NetworkError', sentence('NetworkError', ''))), CALL_TIMEOUT_MS);
      this.client.request(operation, params, (err, data) => {
        clearTimeout(timer);
        if (err) reject(failure(err));
        else resolve(data as T);
      });
    });
  }

  /** signUp creates the account; Cognito e-mails a code. It returns where the code went (masked). */
  async signUp(email: string, password: string): Promise<string> {
    const out = await this.call<{ CodeDeliveryDetails?: { Destination?: string } }>('SignUp', {
      ClientId: this.clientId,
      Username: email,
      Password: password,
      UserAttributes: [{ Name: 'email', Value: email }],
    });
    return out.CodeDeliveryDetails?.Destination ?? email;
  }

  async confirmSignUp(email: string, code: string): Promise<void> {
    await this.call('ConfirmSignUp', { ClientId: this.clientId, Username: email, ConfirmationCode: code });
  }

  /** resendCode sends a new sign-up code and returns where it went. */
  async resendCode(email: string): Promise<string> {
    const out = await this.call<{ CodeDeliveryDetails?: { Destination?: string } }>('ResendConfirmationCode', {
      ClientId: this.clientId,
      Username: email,
    });
    return out.CodeDeliveryDetails?.Destination ?? email;
  }

  /** forgotPassword sends a reset code and returns where it went. */
  async forgotPassword(email: string): Promise<string> {
    const out = await this.call<{ CodeDeliveryDetails?: { Destination?: string } }>('ForgotPassword', {
      ClientId: this.clientId,
      Username: email,
    });
    return out.CodeDeliveryDetails?.Destination ?? email;
  }

  async confirmForgotPassword(email: string, code: string, newPassword: string): Promise<void> {
    await this.call('ConfirmForgotPassword', {
      ClientId: this.clientId,
      Username: email,
      ConfirmationCode: code,
      Password: newPassword,
    });
  }

  /** signIn runs SRP with the library and keeps the session. */
  async signIn(email: string, password: string): Promise<void> {
    const user = new CognitoUser({ Username: email, Pool: this.pool, Storage: new MemoryStorage() });
    const details = new AuthenticationDetails({ Username: email, Password: password });
    const tokens = await new Promise<AuthenticationResult>((resolve, reject) => {
      user.authenticateUser(details, {
        onSuccess: (s) =>
          resolve({
            AccessToken: s.getAccessToken().getJwtToken(),
            IdToken: s.getIdToken().getJwtToken(),
            RefreshToken: s.getRefreshToken().getToken(),
          }),
        onFailure: (err: unknown) => reject(failure(err)),
        newPasswordRequired: () => reject(new AuthError('NewPasswordRequired', sentence('NewPasswordRequired', ''))),
        totpRequired: () => reject(new AuthError('TotpRequired', sentence('TotpRequired', ''))),
        mfaRequired: () => reject(new AuthError('TotpRequired', sentence('TotpRequired', ''))),
      });
    });
    this.account = email;
    this.save(email, tokens, '');
  }

  private save(email: string, r: AuthenticationResult, previousRefreshToken: string): string {
    if (!r.AccessToken || !r.IdToken) throw new AuthError('Unknown', 'The sign-in service answered without tokens.');
    const s: StoredSession = {
      email,
      accessToken: r.AccessToken,
      idToken: r.IdToken,
      // A refresh answer carries no new refresh token: the old one stays valid.
      refreshToken: r.RefreshToken ?? previousRefreshToken,
      expiresAt: this.now() + lifetimeMs(r.AccessToken),
    };
    this.storage.setItem(this.key, JSON.stringify(s));
    return s.accessToken;
  }

  /**
   * This tab's session, read each time so that a refresh or sign-out in another tab is seen here. A session another
   * account stored meanwhile (signed in in another tab) is not this tab's: it is neither used nor ended here.
   */
  private load(): StoredSession | undefined {
    const s = this.read();
    if (!s) return undefined;
    this.account ??= s.email; // a tab that starts signed in belongs to the stored account
    return s.email === this.account ? s : undefined;
  }

  /** The stored session, whoever it belongs to. */
  private read(): StoredSession | undefined {
    const raw = this.storage.getItem(this.key);
    if (!raw) return undefined;
    try {
      const s = JSON.parse(raw) as Partial<StoredSession>;
      if (
        typeof s.email === 'string' &&
        typeof s.accessToken === 'string' &&
        typeof s.idToken === 'string' &&
        typeof s.refreshToken === 'string' &&
        typeof s.expiresAt === 'number'
      ) {
        return s as StoredSession;
      }
    } catch {
      // fall through: a damaged entry is forgotten
    }
    this.storage.removeItem(this.key);
    return undefined;
  }

  /** signedIn reports whether this tab's session is stored (it may still need a refresh). */
  signedIn(): boolean {
    return this.load() !== undefined;
  }

  /** otherAccountSignedIn reports whether another tab replaced this tab's session with another account's. */
  otherAccountSignedIn(): boolean {
    const s = this.read();
    return s !== undefined && this.account !== undefined && s.email !== this.account;
  }

  /** email is the signed-in user's address, from the ID token. */
  email(): string | undefined {
    const s = this.load();
    if (!s) return undefined;
    const claim = new CognitoIdToken({ IdToken: s.idToken }).payload['email'];
    return typeof claim === 'string' ? claim : s.email;
  }

  /** accessToken returns a token the API accepts, refreshing it first when it expires within a minute. */
  async accessToken(): Promise<string> {
    const s = this.load();
    if (!s) throw new SessionEndedError('You are signed out. Sign in to continue.');
    if (s.expiresAt - this.now() > REFRESH_MARGIN_MS) return s.accessToken;
    return this.refresh();
  }

  /**
   * refresh gets a new access token with the refresh token; concurrent callers share one request. With refused, the
   * token the API just turned down, it first looks whether another request (or tab) already replaced that token.
   */
  refresh(refused?: string): Promise<string> {
    const s = this.load();
    if (refused !== undefined && s && s.accessToken !== refused && s.expiresAt - this.now() > REFRESH_MARGIN_MS) {
      return Promise.resolve(s.accessToken);
    }
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<string> {
    const s = this.load();
    if (!s) throw new SessionEndedError('You are signed out. Sign in to continue.');
    let out: { AuthenticationResult?: AuthenticationResult };
    try {
      out = await this.call('InitiateAuth', {
        ClientId: this.clientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: s.refreshToken },
      });
    } catch (err) {
      if (err instanceof AuthError && err.code === 'NotAuthorizedException') {
        // Expired, revoked, or ended by a sign-out elsewhere: this session is over.
        this.forget();
        throw new SessionEndedError('Your session has ended (it expired or was signed out elsewhere). Sign in again.');
      }
      throw err; // unreachable or throttled: the session may still be good, keep it
    }
    // Signed out (here or in another tab) while the request was under way: the answer must not bring it back.
    if (this.load()?.refreshToken !== s.refreshToken) throw new SessionEndedError('You are signed out. Sign in to continue.');
    return this.save(s.email, out.AuthenticationResult ?? {}, s.refreshToken);
  }

  /** forget drops this tab's session from this browser without telling Cognito. */
  forget(): void {
    if (this.load()) this.storage.removeItem(this.key);
  }

  /**
   * signOut ends the session everywhere, like `notesctl logout`: first a global sign-out (every refresh token of the
   * user stops working), then the revocation of this session's refresh token. The session is forgotten here before
   * Cognito is asked, so whatever Cognito answers, or if it never does, the browser keeps no tokens. It returns a
   * warning sentence when Cognito could not be told, else undefined.
   */
  async signOut(): Promise<string | undefined> {
    const s = this.load();
    if (!s) return undefined;
    this.forget();
    let unreached = false;
    // NotAuthorized means the token was already dead: signed out elsewhere, expired or revoked.
    const attempt = async <T>(operation: string, params: object): Promise<T | undefined> => {
      try {
        return await this.call<T>(operation, params);
      } catch (err) {
        if (!(err instanceof AuthError && err.code === 'NotAuthorizedException')) unreached = true;
        return undefined;
      }
    };
    let accessToken: string | undefined = s.accessToken;
    if (s.expiresAt - this.now() <= REFRESH_MARGIN_MS) {
      // An expired access token cannot sign out globally: get a fresh one, used for this call only.
      const out = await attempt<{ AuthenticationResult?: AuthenticationResult }>('InitiateAuth', {
        ClientId: this.clientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: s.refreshToken },
      });
      accessToken = out?.AuthenticationResult?.AccessToken;
    }
    if (accessToken) await attempt('GlobalSignOut', { AccessToken: accessToken });
    await attempt('RevokeToken', { ClientId: this.clientId, Token: s.refreshToken });
    if (unreached) {
      return 'You are signed out on this device, but the sign-in service could not be reached to end your other sessions. Sign in and out again once you are online.';
    }
    return undefined;
  }
}
