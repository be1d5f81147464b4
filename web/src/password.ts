// The user pool's password rules, shown (and checked) before a new password is sent, with Cognito's own
// definitions: length in characters, Unicode letter cases and digits, and Cognito's list of symbols.
import type { PasswordPolicy } from './config';

export interface PasswordRule {
  /** What the rule asks, as shown to the user. */
  text: string;
  met: (password: string) => boolean;
}

// Cognito's special characters (the space counts too, though not first or last, which Cognito trims anyway).
const SYMBOLS = '^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+- ';

export function passwordRules(p: PasswordPolicy): PasswordRule[] {
  const rules: PasswordRule[] = [];
  if (p.minLength > 0) {
    rules.push({ text: `at least ${p.minLength} characters`, met: (pw) => [...pw].length >= p.minLength });
  }
  if (p.requireLowercase) rules.push({ text: 'a lower-case letter', met: (pw) => /\p{Ll}/u.test(pw) });
  if (p.requireUppercase) rules.push({ text: 'an upper-case letter', met: (pw) => /\p{Lu}/u.test(pw) });
  if (p.requireNumbers) rules.push({ text: 'a digit', met: (pw) => /\p{Nd}/u.test(pw) });
  if (p.requireSymbols) {
    rules.push({ text: 'a symbol such as ! ? # or -', met: (pw) => [...pw].some((c) => SYMBOLS.includes(c)) });
  }
  return rules;
}

/** unmetRules lists what a password still lacks; empty when it satisfies the policy. */
export function unmetRules(p: PasswordPolicy, password: string): string[] {
  return passwordRules(p)
    .filter((r) => !r.met(password))
    .map((r) => r.text);
}
