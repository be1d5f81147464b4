// The JavaScript size budget of the production build: 150 kB gzipped in total, reported by every build (the
// sizeBudget plugin, which also fails it) and checked again by a test on web/dist.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

import type { Plugin } from 'vite';

/** BUDGET_BYTES is 150 kB (1 kB = 1,000 bytes, as Vite prints sizes). */
export const BUDGET_BYTES = 150_000;

export interface Measured {
  files: { name: string; bytes: number; gzipBytes: number }[];
  totalBytes: number;
  totalGzipBytes: number;
}

/** measure gzips each JavaScript file (level 9, what a CDN's gzip roughly gives) and adds them up. */
export function measure(files: { name: string; data: string | Uint8Array }[]): Measured {
  const m: Measured = { files: [], totalBytes: 0, totalGzipBytes: 0 };
  for (const f of files.filter((f) => /\.m?js$/.test(f.name)).sort((a, b) => a.name.localeCompare(b.name))) {
    const bytes = typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.length;
    const gzipBytes = gzipSync(f.data, { level: 9 }).length;
    m.files.push({ name: f.name, bytes, gzipBytes });
    m.totalBytes += bytes;
    m.totalGzipBytes += gzipBytes;
  }
  return m;
}

/** measureDir measures every JavaScript file under dir (a build). */
export function measureDir(dir: string): Measured {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
  return measure(files.map((path) => ({ name: relative(dir, path), data: readFileSync(path) })));
}

const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;

/** report is the line the build and the test print. */
export function report(m: Measured): string {
  const pct = Math.round((100 * m.totalGzipBytes) / BUDGET_BYTES);
  return `JavaScript: ${m.files.length} file(s), ${kB(m.totalBytes)}, ${kB(m.totalGzipBytes)} gzipped of a ${kB(BUDGET_BYTES)} budget (${pct}%)`;
}

export function overBudget(m: Measured): boolean {
  return m.totalGzipBytes > BUDGET_BYTES;
}

/** sizeBudget reports the bundle's gzipped JavaScript after each build and fails the build over budget. */
export function sizeBudget(): Plugin {
  return {
    name: 'authnotes-size-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const m = measure(
        Object.values(bundle).map((o) => ({ name: o.fileName, data: o.type === 'chunk' ? o.code : o.source })),
      );
      this.info(report(m));
      if (overBudget(m)) this.error(`over the JavaScript budget: ${report(m)}`);
    },
  };
}
