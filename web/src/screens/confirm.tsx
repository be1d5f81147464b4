import { useState } from 'preact/hooks';

import type { Auth } from '../auth';
import { BackTo, Field, Notice, Screen, useAction } from '../ui';
import type { Message } from '../ui';
import type { GoTo } from './account';

export function Confirm(p: { auth: Auth; email: string; message: Message | undefined; go: GoTo }) {
  const [email, setEmail] = useState(p.email);
  const [code, setCode] = useState('');
  const [notice, setNotice] = useState(p.message);
  const action = useAction((text) => action.setError({ kind: 'alert', text }));
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      await p.auth.confirmSignUp(email.trim(), code.trim());
      p.go('signin', email.trim(), { kind: 'status', text: 'Your account is confirmed. Sign in with your password.' });
    });
  };
  const resend = () => {
    if (!email.trim()) {
      action.setError({ kind: 'alert', text: 'Enter your email address first.' });
      return;
    }
    setNotice(undefined);
    action.run(async () => {
      const to = await p.auth.resendCode(email.trim());
      setNotice({ kind: 'status', text: `We sent a new code to ${to}.` });
    });
  };
  return (
    <Screen title="Confirm your account">
      <Notice message={notice} />
      <form onSubmit={submit} aria-busy={action.busy}>
        <Field id="email" label="Email" type="email" autoComplete="username" required value={email} onInput={setEmail} />
        <Field
          id="code"
          label="Confirmation code"
          autoComplete="one-time-code"
          inputMode="numeric"
          required
          value={code}
          onInput={setCode}
        />
        <Notice message={action.error} />
        <div class="actions">
          <button type="submit" class="primary">
            Confirm
          </button>
          <button type="button" onClick={resend}>
            Send a new code
          </button>
        </div>
      </form>
      <BackTo label="Back to sign-in" onClick={() => p.go('signin', email.trim())} />
    </Screen>
  );
}
