import { useRef, useState } from 'preact/hooks';

import type { Auth } from '../auth';
import type { PasswordPolicy } from '../config';
import { unmetRules } from '../password';
import { Field, Notice, Screen, useAction } from '../ui';
import type { Message } from '../ui';
import type { GoTo } from './account';
import { PasswordRules } from './rules';

/** Forgot resets a password in two steps: a code by e-mail, then the code with the new password. */
export function Forgot(p: { auth: Auth; policy: PasswordPolicy; email: string; message: Message | undefined; go: GoTo }) {
  const [email, setEmail] = useState(p.email);
  const [sentTo, setSentTo] = useState<string | undefined>();
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction((text) => action.setError({ kind: 'alert', text }));
  const codeForm = useRef<HTMLFormElement>(null);

  const sendCode = (e?: Event) => {
    e?.preventDefault();
    action.run(async () => {
      setSentTo(await p.auth.forgotPassword(email.trim()));
    });
  };
  const reset = (e: Event) => {
    e.preventDefault();
    const missing = unmetRules(p.policy, password);
    if (missing.length > 0) {
      action.setError({ kind: 'alert', text: `The new password still needs ${missing.join(', ')}.` });
      codeForm.current?.querySelector<HTMLInputElement>('#new-password')?.focus();
      return;
    }
    action.run(async () => {
      await p.auth.confirmForgotPassword(email.trim(), code.trim(), password);
      p.go('signin', email.trim(), { kind: 'status', text: 'Your password is changed. Sign in with the new one.' });
    });
  };

  return (
    <Screen title="Reset your password">
      <Notice message={sentTo ? { kind: 'status', text: `We sent a code to ${sentTo}. Enter it with your new password.` } : p.message} />
      {sentTo === undefined ? (
        <form onSubmit={sendCode} aria-busy={action.busy}>
          <Field id="email" label="Email" type="email" autoComplete="username" required value={email} onInput={setEmail} />
          <Notice message={action.error} />
          <button type="submit" class="primary">
            Send code
          </button>
        </form>
      ) : (
        <form ref={codeForm} onSubmit={reset} aria-busy={action.busy}>
          <Field id="code" label="Confirmation code" autoComplete="one-time-code" inputMode="numeric" required value={code} onInput={setCode} />
          <Field
            id="new-password"
            label="New password"
            type="password"
            autoComplete="new-password"
            required
            describedBy="password-rules"
            value={password}
            onInput={setPassword}
          />
          <PasswordRules id="password-rules" policy={p.policy} password={password} />
          <Notice message={action.error} />
          <div class="actions">
            <button type="submit" class="primary">
              Set new password
            </button>
            <button type="button" onClick={() => sendCode()}>
              Send a new code
            </button>
          </div>
        </form>
      )}
      <nav class="alternatives" aria-label="Other choices">
        <p>
          <button type="button" class="link" onClick={() => p.go('signin', email.trim())}>
            Back to sign-in
          </button>
        </p>
      </nav>
    </Screen>
  );
}
