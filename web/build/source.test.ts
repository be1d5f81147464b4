// House rules of web/src that the compiler does not enforce: no `any`, and nothing that a strict CSP refuses
// (inline styles, HTML injection).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');

const files = readdirSync(src, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
  .map((e) => join(e.parentPath, e.name));

describe('web/src', () => {
  it.each(files.map((f) => [f.slice(src.length + 1), f]))('%s has no any, inline style or raw HTML', (_name, path) => {
    const code = readFileSync(path, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    expect(code).not.toMatch(/[:<,|(]\s*any\b|\bas\s+any\b|\bany\[\]/);
    expect(code).not.toMatch(/\sstyle=\{|dangerouslySetInnerHTML|innerHTML\s*=/);
  });
});
