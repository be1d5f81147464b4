import { describe, expect, it } from 'vitest';

import { passwordRules, unmetRules } from './password';

const all = { minLength: 12, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true };

describe('password rules', () => {
  it('lists what the policy asks, in order', () => {
    expect(passwordRules(all).map((r) => r.text)).toEqual([
      'at least 12 characters',
      'a lower-case letter',
      'an upper-case letter',
      'a digit',
      'a symbol such as ! ? # or -',
    ]);
    expect(passwordRules({ ...all, minLength: 0, requireSymbols: false, requireNumbers: false })).toHaveLength(2);
  });

  it('checks like Cognito: characters, Unicode cases, its symbols', () => {
    expect(unmetRules(all, 'Correct-Horse-9!')).toEqual([]);
    expect(unmetRules(all, 'correct horse')).toEqual(['an upper-case letter', 'a digit']);
    expect(unmetRules(all, 'ÉCOLE-été-2024')).toEqual([]);
    expect(unmetRules(all, 'Aa1aaaaaaaaa')).toEqual(['a symbol such as ! ? # or -']);
    expect(unmetRules(all, 'Aa1aaaaaaaa€')).toEqual(['a symbol such as ! ? # or -']); // € is not one of Cognito's
    // 12 characters, not 12 UTF-16 units: an emoji counts once.
    expect(unmetRules({ ...all, requireSymbols: false }, 'Aa1😀😀😀😀😀😀😀😀')).toEqual(['at least 12 characters']);
  });
});
