// The app shell: which screen shows, from the address bar when signed in (so a reload or a shared link opens the
// same note) and from the sign-in flow when not.
import { useEffect, useState } from 'preact/hooks';

import type { Api } from './api';
import type { Auth } from './auth';
import type { PasswordPolicy } from './config';
import { Account } from './screens/account';
import { Editor } from './screens/editor';
import { NoteView } from './screens/note';
import { Notes } from './screens/notes';
import { Link, Notice, useAction } from './ui';
import type { Message } from './ui';

export type Route = { name: 'notes' } | { name: 'new' } | { name: 'note'; id: string } | { name: 'edit'; id: string };

/** route reads a path. The app's paths stay clear of the API's (/notes…), should both share one origin. */
export function route(path: string): Route {
  if (path === '/new-note') return { name: 'new' };
  const m = /^\/note\/([^/]+)(\/edit)?$/.exec(path);
  if (m?.[1]) {
    let id = m[1];
    try {
      id = decodeURIComponent(id);
    } catch {
      // a malformed address: the API refuses the ID as it is, and the note screen says so
    }
    return m[2] ? { name: 'edit', id } : { name: 'note', id };
  }
  return { name: 'notes' };
}

export function App(p: { auth: Auth; api: Api; policy: PasswordPolicy }) {
  const [signedIn, setSignedIn] = useState(p.auth.signedIn());
  const [path, setPath] = useState(location.pathname);
  // A message for the next screen: "Saved.", "Deleted …", or why the user was signed out.
  const [flash, setFlash] = useState<Message | undefined>();
  const signOut = useAction(() => undefined);

  useEffect(() => {
    const onPop = () => {
      setFlash(undefined);
      setPath(location.pathname);
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  const navigate = (to: string, message?: Message) => {
    if (to !== location.pathname) history.pushState(null, '', to);
    setFlash(message);
    setPath(to);
  };
  const sessionEnded = (text: string) => {
    p.auth.forget();
    setFlash({ kind: 'alert', text });
    setSignedIn(false);
  };

  if (!signedIn) {
    return (
      <Account
        auth={p.auth}
        policy={p.policy}
        message={flash}
        onSignedIn={() => {
          setFlash(undefined);
          setSignedIn(true);
        }}
      />
    );
  }

  const r = route(path);
  const screenProps = { api: p.api, navigate, onSessionEnded: sessionEnded };
  let screen;
  switch (r.name) {
    case 'new':
      screen = <Editor key="new" {...screenProps} />;
      break;
    case 'edit':
      screen = <Editor key={`edit-${r.id}`} {...screenProps} id={r.id} />;
      break;
    case 'note':
      screen = <NoteView key={`note-${r.id}`} {...screenProps} id={r.id} flash={flash} />;
      break;
    case 'notes':
      screen = <Notes key="notes" {...screenProps} flash={flash} />;
      break;
  }
  return (
    <>
      <header class="bar">
        <Link href="/" navigate={navigate} class="brand">
          authnotes
        </Link>
        <span class="who">{p.auth.email()}</span>
        <button
          type="button"
          onClick={() =>
            signOut.run(async () => {
              let warning: string | undefined;
              try {
                warning = await p.auth.signOut();
              } finally {
                // auth.signOut forgot the session before asking Cognito: the app follows whatever happened.
                setFlash(warning ? { kind: 'alert', text: warning } : { kind: 'status', text: 'You are signed out.' });
                setSignedIn(false);
              }
            })
          }
          aria-busy={signOut.busy}
        >
          Sign out
        </button>
      </header>
      <Notice message={signOut.error} />
      {screen}
    </>
  );
}
