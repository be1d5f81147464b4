import { useRef, useState } from 'preact/hooks';

import type { Auth } from '../auth';
import type { PasswordPolicy } from '../config';
import { unmetRules } from '../password';
import { Field, Notice, Screen, useAction } from '../ui';
import type { Message } from '../ui';
import type { GoTo } from './account';
import { PasswordRules } from './rules';

export function SignUp(p: { auth: Auth; policy: PasswordPolicy; email: string; message: Message | undefined; go: GoTo }) {
  const [email, setEmail] = useState(p.email);
  const [password, setPassword] = useState('');
  const action = useAction((text) => action.setError({ kind: 'alert', text }));
  const form = useRef<HTMLFormElement>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    const missing = unmetRules(p.policy, password);
    if (missing.length > 0) {
      action.setError({ kind: 'alert', text: `The password still needs ${missing.join(', ')}.` });
      form.current?.querySelector<HTMLInputElement>('#password')?.focus();
      return;
    }
    action.run(async () => {
      const to = await p.auth.signUp(email.trim(), password);
      p.go('confirm', email.trim(), { kind: 'status', text: `We sent a confirmation code to ${to}. Enter it below.` });
    });
  };
  return (
    <Screen title="Create an account">
      <Notice message={p.message} />
      <form ref={form} onSubmit={submit} aria-busy={action.busy}>
        <Field id="email" label="Email" type="email" autoComplete="username" required value={email} onInput={setEmail} />
        <Field
          id="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          describedBy="password-rules"
          value={password}
          onInput={setPassword}
        />
        <PasswordRules id="password-rules" policy={p.policy} password={password} />
        <Notice message={action.error} />
        <button type="submit" class="primary">
          Create account
        </button>
      </form>
      <nav class="alternatives" aria-label="Other choices">
        <p>
          Already have an account?{' '}
          <button type="button" class="link" onClick={() => p.go('signin', email.trim())}>
            Sign in
          </button>
        </p>
      </nav>
    </Screen>
  );
}
