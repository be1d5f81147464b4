// The app shell: which screen shows, from the address bar when signed in (so a reload or a shared link opens the
// same note) and from the sign-in flow when not.
import { useEffect, useRef, useState } from 'preact/hooks';

import type { Api } from './api';
import type { Auth } from './auth';
import type { PasswordPolicy } from './config';
import { Account } from './screens/account';
import { Editor } from './screens/editor';
import type { Draft, Unsaved } from './screens/editor';
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

/**
 * restorable is the draft to give back after a sign-in: only to the account that wrote it, so a different person
 * signing in on this browser never sees it.
 */
export function restorable(draft: Draft | undefined, email: string | undefined): Draft | undefined {
  return draft && email !== undefined && draft.email === email ? draft : undefined;
}

export function App(p: { auth: Auth; api: Api; policy: PasswordPolicy }) {
  const [signedIn, setSignedIn] = useState(p.auth.signedIn());
  const [path, setPath] = useState(location.pathname);
  // A message for the next screen: "Saved.", "Deleted …", or why the user was signed out.
  const [flash, setFlash] = useState<Message | undefined>();
  // The open editor's unsaved text, and that text kept when the session ended: in memory only (never in storage),
  // until the same user is back.
  const unsaved = useRef<Unsaved | undefined>();
  const kept = useRef<Draft | undefined>();
  const [restore, setRestore] = useState<Draft | undefined>();
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
    setRestore(undefined);
    setPath(to);
  };
  // Read while signed in: by the time a session is reported ended, a refused refresh has already forgotten it.
  const email = signedIn ? p.auth.email() : undefined;
  /** signedOut shows the sign-in screen with message, keeping the editor's unsaved text for the same user. */
  const signedOut = (message: Message) => {
    const draft = unsaved.current;
    kept.current = draft && email !== undefined ? { ...draft, email, path: location.pathname } : undefined;
    const keptText = kept.current ? ' What you typed is kept: sign in again with the same account to get it back.' : '';
    setFlash({ ...message, text: message.text + keptText });
    setRestore(undefined);
    setSignedIn(false);
  };
  const sessionEnded = (text: string) => {
    p.auth.forget();
    signedOut({ kind: 'alert', text });
  };

  // A sign-out (or another account's sign-in) in another window of this browser: stop showing this user's notes.
  useEffect(() => {
    if (!signedIn) return;
    const onStorage = () => {
      if (p.auth.email() === email) return;
      signedOut(
        p.auth.otherAccountSignedIn()
          ? { kind: 'status', text: 'Another account signed in in another window. Sign in to continue here.' }
          : { kind: 'status', text: 'You signed out in another window.' },
      );
    };
    addEventListener('storage', onStorage);
    return () => removeEventListener('storage', onStorage);
  }, [signedIn, email]);

  if (!signedIn) {
    return (
      <Account
        auth={p.auth}
        policy={p.policy}
        message={flash}
        onSignedIn={() => {
          const draft = restorable(kept.current, p.auth.email());
          kept.current = undefined;
          if (draft && draft.path !== location.pathname) history.pushState(null, '', draft.path);
          if (draft) setPath(draft.path);
          setRestore(draft);
          setFlash(undefined);
          setSignedIn(true);
        }}
      />
    );
  }

  const r = route(path);
  const screenProps = { api: p.api, navigate, onSessionEnded: sessionEnded };
  const editorProps = { ...screenProps, unsaved, draft: restore };
  let screen;
  switch (r.name) {
    case 'new':
      screen = <Editor key="new" {...editorProps} />;
      break;
    case 'edit':
      screen = <Editor key={`edit-${r.id}`} {...editorProps} id={r.id} />;
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
        <span class="who">{email}</span>
        <button
          type="button"
          onClick={() =>
            signOut.run(async () => {
              let warning: string | undefined;
              try {
                warning = await p.auth.signOut();
              } finally {
                // auth.signOut forgot the session before asking Cognito: the app follows whatever happened.
                signedOut(warning ? { kind: 'alert', text: warning } : { kind: 'status', text: 'You are signed out.' });
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
