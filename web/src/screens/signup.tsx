import { useState } from 'preact/hooks';

import type { Auth } from '../auth';
import type { PasswordPolicy } from '../config';
import { BackTo, Field, Notice, Screen, useAction } from '../ui';
import type { Message } from '../ui';
import type { GoTo } from './account';
import { missingRules, NewPassword } from './rules';

export function SignUp(p: { auth: Auth; policy: PasswordPolicy; email: string; message: Message | undefined; go: GoTo }) {
  const [email, setEmail] = useState(p.email);
  const [password, setPassword] = useState('');
  const action = useAction((text) => action.setError({ kind: 'alert', text }));
  const submit = (e: Event) => {
    e.preventDefault();
    const missing = missingRules(p.policy, password, 'password');
    if (missing) {
      action.setError({ kind: 'alert', text: missing });
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
      <form onSubmit={submit} aria-busy={action.busy}>
        <Field id="email" label="Email" type="email" autoComplete="username" required value={email} onInput={setEmail} />
        <NewPassword id="password" label="Password" policy={p.policy} value={password} onInput={setPassword} />
        <Notice message={action.error} />
        <button type="submit" class="primary">
          Create account
        </button>
      </form>
      <BackTo lead="Already have an account?" label="Sign in" onClick={() => p.go('signin', email.trim())} />
    </Screen>
  );
}
