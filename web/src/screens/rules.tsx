import type { PasswordPolicy } from '../config';
import { passwordRules } from '../password';

/** PasswordRules lists the pool's rules under a new-password field, each marked once the password meets it. */
export function PasswordRules({ id, policy, password }: { id: string; policy: PasswordPolicy; password: string }) {
  const rules = passwordRules(policy);
  if (rules.length === 0) return null;
  return (
    <div id={id} class="rules">
      <p>The password needs:</p>
      <ul>
        {rules.map((r) => {
          const met = r.met(password);
          return (
            <li key={r.text} class={met ? 'met' : undefined}>
              {r.text}
              {met && <span class="sr-only"> (done)</span>}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
