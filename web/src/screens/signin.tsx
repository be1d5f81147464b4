import { useState } from 'preact/hooks';

import { AuthError } from '../auth';
import type { Auth } from '../auth';
import { Field, Notice, Screen, useAction } from '../ui';
import type { Message } from '../ui';
import type { GoTo } from './account';

export function SignIn(p: { auth: Auth; email: string; message: Message | undefined; go: GoTo; onSignedIn: () => void }) {
  const [email, setEmail] = useState(p.email);
  const [password, setPassword] = useState('');
  const action = useAction((text) => action.setError({ kind: 'alert', text }));
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      try {
        await p.auth.signIn(email.trim(), password);
      } catch (err) {
        if (err instanceof AuthError && err.code === 'UserNotConfirmedException') {
          p.go('confirm', email.trim(), { kind: 'alert', text: err.message });
          return;
        }
        throw err;
      }
      p.onSignedIn();
    });
  };
  return (
    <Screen title="Sign in">
      <Notice message={p.message} />
      <form onSubmit={submit} aria-busy={action.busy}>
        <Field id="email" label="Email" type="email" autoComplete="username" required value={email} onInput={setEmail} />
        <Field
          id="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={setPassword}
        />
        <Notice message={action.error} />
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
      <nav class="alternatives" aria-label="Other choices">
        <p>
          New here?{' '}
          <button type="button" class="link" onClick={() => p.go('signup', email.trim())}>
            Create an account
          </button>
        </p>
        <p>
          <button type="button" class="link" onClick={() => p.go('forgot', email.trim())}>
            Forgot your password?
          </button>
        </p>
        <p>
          <button type="button" class="link" onClick={() => p.go('confirm', email.trim())}>
            I have a confirmation code
          </button>
        </p>
      </nav>
    </Screen>
  );
}
