// The signed-out part of the app: sign in, create an account, confirm it, reset a password. The e-mail address
// travels from one screen to the next, so it is typed once.
import { useState } from 'preact/hooks';

import type { Auth } from '../auth';
import type { PasswordPolicy } from '../config';
import type { Message } from '../ui';
import { Confirm } from './confirm';
import { Forgot } from './forgot';
import { SignIn } from './signin';
import { SignUp } from './signup';

export type AccountScreen = 'signin' | 'signup' | 'confirm' | 'forgot';

/** GoTo opens another signed-out screen with the address typed so far and, optionally, a message. */
export type GoTo = (screen: AccountScreen, email: string, message?: Message) => void;

export function Account(p: { auth: Auth; policy: PasswordPolicy; message: Message | undefined; onSignedIn: () => void }) {
  const [state, setState] = useState<{ screen: AccountScreen; email: string; message: Message | undefined }>({
    screen: 'signin',
    email: '',
    message: p.message,
  });
  const go: GoTo = (screen, email, message) => setState({ screen, email, message });
  const common = { auth: p.auth, email: state.email, message: state.message, go };
  switch (state.screen) {
    case 'signup':
      return <SignUp {...common} policy={p.policy} />;
    case 'confirm':
      return <Confirm {...common} />;
    case 'forgot':
      return <Forgot {...common} policy={p.policy} />;
    case 'signin':
      return <SignIn {...common} onSignedIn={p.onSignedIn} />;
  }
}
