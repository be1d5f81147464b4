import { describe, expect, it } from 'vitest';

import { Api, ApiError, checkInput, sentence } from './api';
import type { TokenSource } from './api';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
}

/** fakeApi answers each request with the next response and records what was sent. */
function fakeApi(...responses: (Response | Error)[]) {
  const sent: Sent[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    sent.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: (init?.body as string | null) ?? null,
    });
    const r = responses.shift();
    if (!r) throw new Error('unexpected request');
    if (r instanceof Error) throw r;
    return r;
  };
  return { sent, fetchFn };
}

function tokens(): TokenSource & { refreshes: number; refused: string[] } {
  const t = {
    refreshes: 0,
    refused: [] as string[],
    accessToken: async () => 'token-1',
    refresh: async (refused: string) => {
      t.refused.push(refused);
      t.refreshes++;
      return `token-${t.refreshes + 1}`;
    },
  };
  return t;
}

const note = { noteId: '01M8A6F9VK6V4M3T2RC7XJ5ZP9', title: 'T', content: 'C', createdAt: 'x', updatedAt: 'x', version: 3 };
const errorBody = (status: number, code: string, message = 'm', extra: object = {}) =>
  Response.json({ message, code, ...extra }, { status });

function api(fetchFn: typeof fetch, t: TokenSource = tokens(), slept: number[] = []) {
  return new Api({
    baseUrl: 'http://127.0.0.1:3000/',
    tokens: t,
    fetch: fetchFn,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
}

describe('Api requests', () => {
  it('lists with the bearer token, the limit and the cursor', async () => {
    const f = fakeApi(Response.json({ items: [note], nextCursor: 'abc' }));
    const page = await api(f.fetchFn).list('abc/+=');
    expect(page.nextCursor).toBe('abc');
    expect(f.sent[0]).toMatchObject({
      url: 'http://127.0.0.1:3000/notes?limit=20&cursor=abc%2F%2B%3D',
      method: 'GET',
      headers: { Authorization: 'Bearer token-1' },
    });
  });

  it('updates with If-Match of the version read, sending only title and content', async () => {
    const f = fakeApi(Response.json({ ...note, version: 4 }, { headers: { ETag: '"4"' } }));
    const n = await api(f.fetchFn).update(note.noteId, 3, { title: 'T', content: 'new', extra: 1 } as never);
    expect(n.version).toBe(4);
    expect(f.sent[0]).toMatchObject({
      method: 'PUT',
      url: `http://127.0.0.1:3000/notes/${note.noteId}`,
      headers: { 'If-Match': '"3"', 'Content-Type': 'application/json' },
      body: '{"title":"T","content":"new"}',
    });
  });

  it('takes the version from the ETag', async () => {
    const f = fakeApi(Response.json({ ...note, version: 1 }, { headers: { ETag: '"7"' } }));
    expect((await api(f.fetchFn).get(note.noteId)).version).toBe(7);
  });

  it('deletes with If-Match', async () => {
    const f = fakeApi(new Response(null, { status: 204 }));
    await api(f.fetchFn).remove(note.noteId, 2);
    expect(f.sent[0]).toMatchObject({ method: 'DELETE', headers: { 'If-Match': '"2"' }, body: null });
  });
});

describe('Api errors', () => {
  it('maps 412 to the changed-elsewhere sentence', async () => {
    const f = fakeApi(errorBody(412, 'PreconditionFailed'));
    const err = await api(f.fetchFn).update(note.noteId, 1, { title: '', content: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 412, code: 'PreconditionFailed', retryable: false });
    expect((err as Error).message).toBe('This note was changed elsewhere since you opened it.');
  });

  it('renews a refused token once, then gives up', async () => {
    const t = tokens();
    const f = fakeApi(errorBody(401, 'Unauthorized'), Response.json({ items: [] }));
    await api(f.fetchFn, t).list();
    expect(f.sent.map((s) => s.headers.Authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(t.refused).toEqual(['token-1']); // so a token already renewed by another request is not renewed again

    const g = fakeApi(errorBody(401, 'Unauthorized'), new Response('{"message":"Unauthorized"}', { status: 401 }));
    const err = await api(g.fetchFn, tokens()).list().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401 });
    expect(g.sent).toHaveLength(2);
  });

  it('retries a throttled request after waiting, then reports it', async () => {
    const slept: number[] = [];
    const f = fakeApi(new Response('{"message":"Too Many Requests"}', { status: 429 }), Response.json(note, { status: 201 }));
    await api(f.fetchFn, tokens(), slept).create({ title: '', content: 'x' });
    expect(slept).toEqual([500]);
    expect(f.sent.map((s) => s.method)).toEqual(['POST', 'POST']);

    const busy = () => new Response('{"message":"Too Many Requests"}', { status: 429 });
    const g = fakeApi(busy(), busy(), busy());
    const slept2: number[] = [];
    const err = await api(g.fetchFn, tokens(), slept2).list().catch((e: unknown) => e);
    expect(slept2).toEqual([500, 1500]);
    expect(err).toMatchObject({ status: 429, retryable: true });
    expect((err as Error).message).toMatch(/busy right now. Wait a few seconds, then try again/);
  });

  it('quotes the request ID of a 500', async () => {
    const f = fakeApi(errorBody(500, 'InternalError', 'internal error', { requestId: 'req-42' }));
    const err = await api(f.fetchFn).get(note.noteId).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 500, requestId: 'req-42', retryable: true });
    expect((err as Error).message).toContain('report request ID req-42');
  });

  it('maps API Gateway\'s own errors, which have no code, by their status', async () => {
    const gateway = (status: number, message: string) =>
      new Response(JSON.stringify({ message }), { status, headers: { 'Content-Type': 'application/json', 'Apigw-Requestid': 'gw-7' } });
    const tooLarge = await api(fakeApi(gateway(413, 'Request Entity Too Large')).fetchFn)
      .create({ title: '', content: 'x' })
      .catch((e: unknown) => e);
    expect(tooLarge).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
    expect((tooLarge as Error).message).toMatch(/too large to save/);

    const stale = await api(fakeApi(gateway(412, 'Precondition Failed')).fetchFn)
      .update(note.noteId, 1, { title: '', content: 'x' })
      .catch((e: unknown) => e);
    expect(stale).toMatchObject({ status: 412, code: 'PreconditionFailed' }); // the editor offers to reload

    const noRoute = await api(fakeApi(gateway(404, 'Not Found')).fetchFn).list().catch((e: unknown) => e);
    expect((noRoute as Error).message).toMatch(/HTTP 404.*API URL/);

    const down = await api(fakeApi(gateway(503, 'Service Unavailable')).fetchFn).list().catch((e: unknown) => e);
    expect(down).toMatchObject({ status: 503, requestId: 'gw-7', retryable: true });
    expect((down as Error).message).toContain('report request ID gw-7');

    const scope = await api(fakeApi(gateway(403, 'Forbidden')).fetchFn).list().catch((e: unknown) => e);
    expect((scope as Error).message).toMatch(/Sign out, then sign in again/);
  });

  it('says when the API cannot be reached', async () => {
    const f = fakeApi(new TypeError('Failed to fetch'));
    const err = await api(f.fetchFn).list().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, code: 'NetworkError', retryable: true });
    expect((err as Error).message).toBe('Cannot reach the notes API. Check your connection and try again.');
  });

  it('has a sentence for every error of the API', () => {
    const cases: [number, string, string, RegExp][] = [
      [400, 'ValidationFailed', 'content is required and must not be empty', /^The note could not be saved: content is required and must not be empty\.$/],
      [400, 'InvalidId', '', /does not point to a note/],
      [400, 'InvalidCursor', '', /Reload the list/],
      [400, 'MalformedJSON', 'bad', /could not accept \(MalformedJSON: bad\)/],
      [415, 'UnsupportedMediaType', 'x', /could not accept/],
      [404, 'NotFound', '', /does not exist any more/],
      [409, 'Conflict', '', /Try again/],
      [412, 'PreconditionFailed', '', /changed elsewhere/],
      [413, 'PayloadTooLarge', '', /too large to save/],
      [429, '', '', /busy right now/],
      [502, '', '', /^Something went wrong on the server. Try again in a moment.$/],
      [418, '', '', /unexpected error \(HTTP 418\)/],
    ];
    for (const [status, code, message, want] of cases) {
      expect(sentence(status, code, message), `${status} ${code}`).toMatch(want);
    }
  });
});

describe('checkInput', () => {
  it('finds what the API would refuse before sending', () => {
    expect(checkInput({ title: '', content: 'x' })).toBeUndefined();
    expect(checkInput({ title: 'x', content: '' })).toMatch(/needs some content/);
    expect(checkInput({ title: '😀'.repeat(256), content: 'x' })).toBeUndefined(); // code points, not UTF-16 units
    expect(checkInput({ title: 'x'.repeat(257), content: 'x' })).toMatch(/title is too long/);
    expect(checkInput({ title: '', content: 'é'.repeat(32_769) })).toMatch(/65,538 bytes, at most 65,536/);
  });
});
