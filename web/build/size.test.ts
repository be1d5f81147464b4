import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BUDGET_BYTES, measure, measureDir, overBudget, report, sizeBudget } from './size';

const dist = join(import.meta.dirname, '..', 'dist');

function needBuild(): void {
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`${dist} has no build: run \`npm run build\` in web/ (or \`make web\`) first`);
  }
}

describe('the production build', () => {
  it(`keeps its JavaScript within ${BUDGET_BYTES / 1000} kB gzipped`, () => {
    needBuild();
    const m = measureDir(dist);
    console.log(`web/dist ${report(m)}`);
    expect(m.files.length).toBeGreaterThan(0);
    expect(overBudget(m), report(m)).toBe(false);
  });

  it('has no inline script or style, so the strict CSP holds', () => {
    needBuild();
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });
});

describe('measure', () => {
  it('adds up the gzipped JavaScript only and flags a bundle over budget', () => {
    const small = measure([
      { name: 'assets/a.js', data: 'x'.repeat(10_000) },
      { name: 'assets/a.css', data: randomBytes(200_000) },
    ]);
    expect(small.files.map((f) => f.name)).toEqual(['assets/a.js']);
    expect(small.totalBytes).toBe(10_000);
    expect(small.totalGzipBytes).toBeLessThan(200);
    expect(overBudget(small)).toBe(false);

    const big = measure([
      { name: 'assets/a.js', data: randomBytes(100_000) },
      { name: 'assets/b.mjs', data: randomBytes(60_000) },
    ]);
    expect(big.totalGzipBytes).toBeGreaterThan(BUDGET_BYTES);
    expect(overBudget(big)).toBe(true);
    expect(report(big)).toMatch(/^JavaScript: 2 file\(s\), 160\.0 kB, 160\.\d kB gzipped of a 150\.0 kB budget \(10\d%\)$/);
  });
});

describe('sizeBudget', () => {
  // The plugin as Rollup calls it: a bundle of output chunks and assets, and a context whose error() throws.
  function build(files: Record<string, string | Uint8Array>): string[] {
    const said: string[] = [];
    const ctx = {
      info: (m: string) => said.push(m),
      error: (m: string) => {
        throw new Error(m);
      },
    };
    const bundle = Object.fromEntries(
      Object.entries(files).map(([fileName, data]) => [
        fileName,
        typeof data === 'string' ? { type: 'chunk', fileName, code: data } : { type: 'asset', fileName, source: data },
      ]),
    );
    const hook = sizeBudget().generateBundle as unknown as (this: typeof ctx, o: object, b: object) => void;
    hook.call(ctx, {}, bundle);
    return said;
  }

  it('reports the size of a build within budget', () => {
    expect(build({ 'assets/a.js': 'x'.repeat(10_000), 'assets/a.css': randomBytes(200_000) })).toEqual([
      expect.stringMatching(/^JavaScript: 1 file\(s\), 10\.0 kB, 0\.\d kB gzipped of a 150\.0 kB budget/),
    ]);
  });

  it('fails a build over budget, counting JavaScript emitted as assets too', () => {
    expect(() => build({ 'assets/a.js': randomBytes(100_000).toString('base64'), 'assets/w.js': randomBytes(60_000) })).toThrowError(
      /^over the JavaScript budget: JavaScript: 2 file\(s\)/,
    );
  });
});
