import { useState } from 'preact/hooks';

import type { Auth } from '../auth';
import type { PasswordPolicy } from '../config';
import { BackTo, Field, Notice, Screen, useAction } from '../ui';
import type { Message } from '../ui';
import type { GoTo } from './account';
import { missingRules, NewPassword } from './rules';

/** Forgot resets a password in two steps: a code by e-mail, then the code with the new password. */
export function Forgot(p: { auth: Auth; policy: PasswordPolicy; email: string; message: Message | undefined; go: GoTo }) {
  const [email, setEmail] = useState(p.email);
  const [sentTo, setSentTo] = useState<string | undefined>();
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction((text) => action.setError({ kind: 'alert', text }));

  const sendCode = (e?: Event) => {
    e?.preventDefault();
    action.run(async () => {
      setSentTo(await p.auth.forgotPassword(email.trim()));
    });
  };
  const reset = (e: Event) => {
    e.preventDefault();
    const missing = missingRules(p.policy, password, 'new-password');
    if (missing) {
      action.setError({ kind: 'alert', text: missing });
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
        <form onSubmit={reset} aria-busy={action.busy}>
          <Field id="code" label="Confirmation code" autoComplete="one-time-code" inputMode="numeric" required value={code} onInput={setCode} />
          <NewPassword id="new-password" label="New password" policy={p.policy} value={password} onInput={setPassword} />
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
      <BackTo label="Back to sign-in" onClick={() => p.go('signin', email.trim())} />
    </Screen>
  );
}
