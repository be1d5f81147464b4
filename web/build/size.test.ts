import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BUDGET_BYTES, measure, measureDir, overBudget, report } from './size';

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
