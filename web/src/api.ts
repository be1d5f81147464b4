// The one module that calls the notes API: it owns fetch, the Authorization and If-Match headers, retries of
// throttled requests, and the mapping of every error to a sentence a person can act on (README "The API").

export interface Note {
  noteId: string;
  title: string;
  content: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface NoteInput {
  title: string;
  content: string;
}

export interface Page {
  items: Note[];
  /** Present when more notes follow: pass it back to list the next page. */
  nextCursor?: string;
}

/** Where the API gets its access token; auth.Auth is one. */
export interface TokenSource {
  accessToken(): Promise<string>;
  /** refresh replaces refused, a token the API turned down (unless another request already replaced it). */
  refresh(refused: string): Promise<string>;
}

/** The API's limits on a note (README "The API"), checked before sending so the user hears about them at once. */
export const MAX_TITLE_CHARS = 256;
export const MAX_CONTENT_BYTES = 65_536;

/** ApiError is a failed call; its message is the sentence to show. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
  /** retryable errors may succeed when tried again unchanged. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** sentence maps the API's status and error code to what the user reads. */
export function sentence(status: number, code: string, message: string, requestId?: string): string {
  switch (code) {
    case 'ValidationFailed':
      return `The note could not be saved: ${message.replace(/\.?$/, '.')}`;
    case 'InvalidId':
      return 'This address does not point to a note. Go back to your notes.';
    case 'InvalidCursor':
      return 'The list could not continue where it stopped. Reload the list.';
    case 'NotFound':
      return 'This note does not exist any more: it may have been deleted in another window.';
    case 'PreconditionFailed':
      return 'This note was changed elsewhere since you opened it.';
    case 'Conflict':
      return 'The note could not be created this time. Try again.';
    case 'PayloadTooLarge':
      return 'This note is too large to save. Shorten it and try again.';
    case 'NetworkError':
      return 'Cannot reach the notes API. Check your connection and try again.';
  }
  if (status === 401) return 'The notes API no longer accepts your session. Sign in again.';
  if (status === 403) return 'The notes API does not accept this session for notes (HTTP 403). Sign out, then sign in again.';
  // API Gateway's own 404 (no code): the path matches no route, so the app talks to the wrong address.
  if (status === 404) return 'The notes API has no such address (HTTP 404): this app may be configured with the wrong API URL.';
  if (status === 429) return 'The notes API is busy right now. Wait a few seconds, then try again.';
  if (status >= 500) {
    return requestId
      ? `Something went wrong on the server. Try again; if it keeps happening, report request ID ${requestId}.`
      : 'Something went wrong on the server. Try again in a moment.';
  }
  if (status === 400 || status === 415) {
    return `The app sent a request the notes API could not accept (${code || status}: ${message}). Reload the page and try again.`;
  }
  return `The notes API answered with an unexpected error (HTTP ${status}).`;
}

/** checkInput finds what the API would refuse in a note, as a sentence, or undefined when it is fine. */
export function checkInput(n: NoteInput): string | undefined {
  if (n.content.length === 0) return 'The note needs some content.';
  if ([...n.title].length > MAX_TITLE_CHARS) return `The title is too long: at most ${MAX_TITLE_CHARS} characters.`;
  const bytes = new TextEncoder().encode(n.content).length;
  if (bytes > MAX_CONTENT_BYTES) {
    return `The content is too long: ${bytes.toLocaleString('en')} bytes, at most ${MAX_CONTENT_BYTES.toLocaleString('en')}.`;
  }
  return undefined;
}

/** etag is the If-Match value for a version, as the API writes its ETag. */
export function etag(version: number): string {
  return `"${version}"`;
}

export interface ApiOptions {
  /** The API's invoke URL, ending in "/". */
  baseUrl: string;
  tokens: TokenSource;
  fetch?: typeof fetch;
  /** Waits between retries of a throttled request. Default: setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Delays before each retry of a 429. Default: 0.5 s, then 1.5 s. */
  retryDelaysMs?: number[];
}

/** The API's codes for what API Gateway reports without one. */
const GATEWAY_CODES: Partial<Record<number, string>> = { 412: 'PreconditionFailed', 413: 'PayloadTooLarge' };

interface ErrorBody {
  message?: unknown;
  code?: unknown;
  requestId?: unknown;
}

export class Api {
  private readonly base: string;
  private readonly tokens: TokenSource;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly retryDelays: number[];

  constructor(opts: ApiOptions) {
    this.base = opts.baseUrl;
    this.tokens = opts.tokens;
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.retryDelays = opts.retryDelaysMs ?? [500, 1500];
  }

  /** list returns a page of notes, newest first. */
  async list(cursor?: string, limit = 20): Promise<Page> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    const resp = await this.send('GET', `notes?${q}`);
    return (await resp.json()) as Page;
  }

  async get(id: string): Promise<Note> {
    return this.note(await this.send('GET', `notes/${encodeURIComponent(id)}`));
  }

  async create(input: NoteInput): Promise<Note> {
    return this.note(await this.send('POST', 'notes', input));
  }

  /** update replaces the note if it is still at version (If-Match); a 412 means someone changed it since. */
  async update(id: string, version: number, input: NoteInput): Promise<Note> {
    return this.note(await this.send('PUT', `notes/${encodeURIComponent(id)}`, input, etag(version)));
  }

  /** remove deletes the note if it is still at version. */
  async remove(id: string, version: number): Promise<void> {
    await this.send('DELETE', `notes/${encodeURIComponent(id)}`, undefined, etag(version));
  }

  // The ETag (exposed by the API's CORS) is the version the server holds; the body says the same.
  private async note(resp: Response): Promise<Note> {
    const n = (await resp.json()) as Note;
    const m = /^(?:W\/)?"(\d+)"$/.exec(resp.headers.get('ETag') ?? '');
    if (m?.[1]) n.version = Number(m[1]);
    return n;
  }

  private async send(method: string, path: string, body?: NoteInput, ifMatch?: string): Promise<Response> {
    let refused: string | undefined;
    let throttled = 0;
    for (;;) {
      const token = refused !== undefined ? await this.tokens.refresh(refused) : await this.tokens.accessToken();
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      if (body) headers['Content-Type'] = 'application/json';
      if (ifMatch) headers['If-Match'] = ifMatch;
      let resp: Response;
      try {
        resp = await this.fetchFn(this.base + path, {
          method,
          headers,
          body: body ? JSON.stringify({ title: body.title, content: body.content }) : null,
          cache: 'no-store',
        });
      } catch {
        throw new ApiError(0, 'NetworkError', sentence(0, 'NetworkError', ''));
      }
      if (resp.ok) return resp;
      // A token refused despite its expiry (revoked keys, a skewed clock): renew it once.
      if (resp.status === 401 && refused === undefined) {
        refused = token;
        continue;
      }
      const delay = this.retryDelays[throttled++];
      // A throttled request did nothing, so even a POST may be sent again.
      if (resp.status === 429 && delay !== undefined) {
        await this.sleep(delay);
        continue;
      }
      throw await this.failure(resp);
    }
  }

  private async failure(resp: Response): Promise<ApiError> {
    let b: ErrorBody = {};
    try {
      b = (await resp.json()) as ErrorBody;
    } catch {
      // API Gateway's own errors may have no JSON body
    }
    // API Gateway answers some errors itself, without a code (413 over its payload limit, 5xx when the function
    // fails or times out); its request ID header is readable when the app shares the API's origin, as in AWS.
    const code = typeof b.code === 'string' && b.code ? b.code : (GATEWAY_CODES[resp.status] ?? '');
    const message = typeof b.message === 'string' ? b.message : '';
    const requestId =
      (typeof b.requestId === 'string' && b.requestId) ||
      (resp.status >= 500 ? resp.headers.get('Apigw-Requestid') : undefined) ||
      undefined;
    return new ApiError(resp.status, code, sentence(resp.status, code, message, requestId), requestId);
  }
}
