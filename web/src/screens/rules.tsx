import type { PasswordPolicy } from '../config';
import { passwordRules, unmetRules } from '../password';
import { Field } from '../ui';

/**
 * NewPassword is a new-password field with the pool's rules under it, each marked once the password meets it,
 * so they are known before anything is sent.
 */
export function NewPassword(p: { id: string; label: string; policy: PasswordPolicy; value: string; onInput: (v: string) => void }) {
  const rules = passwordRules(p.policy);
  const rulesId = `${p.id}-rules`;
  return (
    <>
      <Field
        id={p.id}
        label={p.label}
        type="password"
        autoComplete="new-password"
        required
        describedBy={rules.length > 0 ? rulesId : undefined}
        value={p.value}
        onInput={p.onInput}
      />
      {rules.length > 0 && (
        <div id={rulesId} class="rules">
          <p>The password needs:</p>
          <ul>
            {rules.map((r) => {
              const met = r.met(p.value);
              return (
                <li key={r.text} class={met ? 'met' : undefined}>
                  {r.text}
                  {met && <span class="sr-only"> (done)</span>}
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </>
  );
}

/** missingRules is the sentence for a password the pool would refuse, or undefined; the field gets the focus. */
export function missingRules(policy: PasswordPolicy, password: string, fieldId: string): string | undefined {
  const missing = unmetRules(policy, password);
  if (missing.length === 0) return undefined;
  document.getElementById(fieldId)?.focus();
  return `The password still needs ${missing.join(', ')}.`;
}
