import { defineConfig } from 'vitest/config';

import { sizeBudget } from './build/size';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2022',
    // Everything is a file: the CSP has no data: scripts or styles, and hashed names cache forever.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  plugins: [sizeBudget()],
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'build/**/*.test.ts'],
  },
});
