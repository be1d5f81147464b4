// Small building blocks shared by the screens: native elements with their labels, messages announced to screen
// readers, and the focus move that tells a keyboard or screen-reader user a new screen opened.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError } from './api';
import { AuthError, SessionEndedError } from './auth';

/** Screen is one page: its heading takes the focus when it opens, so the change is announced. */
export function Screen({ title, children }: { title: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · authnotes`;
    heading.current?.focus();
  }, [title]);
  return (
    <main class="screen">
      <h1 tabIndex={-1} ref={heading}>
        {title}
      </h1>
      {children}
    </main>
  );
}

export interface FieldProps {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'email' | 'password';
  autoComplete?: string;
  inputMode?: 'numeric' | 'text' | 'email';
  required?: boolean;
  maxLength?: number;
  describedBy?: string;
  multiline?: boolean;
}

/** Field is a labelled input (or textarea). */
export function Field(p: FieldProps) {
  return (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      {p.multiline ? (
        <textarea
          id={p.id}
          name={p.id}
          value={p.value}
          rows={12}
          required={p.required}
          aria-describedby={p.describedBy}
          onInput={(e) => p.onInput(e.currentTarget.value)}
        />
      ) : (
        <input
          id={p.id}
          name={p.id}
          type={p.type ?? 'text'}
          value={p.value}
          autoComplete={p.autoComplete}
          inputMode={p.inputMode}
          required={p.required}
          maxLength={p.maxLength}
          aria-describedby={p.describedBy}
          spellcheck={p.type === 'email' || p.type === 'password' ? false : undefined}
          onInput={(e) => p.onInput(e.currentTarget.value)}
        />
      )}
    </div>
  );
}

/** A message for the user; code is the API's or Cognito's error code, when it came from one. */
export type Message = { kind: 'alert' | 'status'; text: string; code?: string };

/** Notice shows a message: errors with role="alert" (announced at once), news with role="status". */
export function Notice({ message, onRetry }: { message: Message | undefined; onRetry?: (() => void) | undefined }) {
  if (!message) return null;
  if (message.kind === 'status') {
    return (
      <p role="status" class="status">
        {message.text}
      </p>
    );
  }
  return (
    <div role="alert" class="alert">
      <p>{message.text}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** isSessionEnd tells errors that mean "sign in again" apart from the others. */
export function isSessionEnd(err: unknown): boolean {
  return err instanceof SessionEndedError || (err instanceof ApiError && err.status === 401);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : 'Something went wrong. Try again.';
}

export interface Action {
  busy: boolean;
  error: Message | undefined;
  /** retry repeats the last action that failed with an error worth retrying. */
  retry: (() => void) | undefined;
  run: (fn: () => Promise<void>) => void;
  setError: (m: Message | undefined) => void;
}

/**
 * useAction runs one user action at a time, keeps its error as a message, and hands errors that end the session
 * to onSessionEnded.
 */
export function useAction(onSessionEnded: (message: string) => void): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Message | undefined>();
  const [retry, setRetry] = useState<(() => void) | undefined>();
  const running = useRef(false);
  const run = (fn: () => Promise<void>) => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    setError(undefined);
    setRetry(undefined);
    fn()
      .catch((err: unknown) => {
        if (isSessionEnd(err)) {
          onSessionEnded(messageOf(err));
          return;
        }
        const code = err instanceof ApiError || err instanceof AuthError ? err.code : undefined;
        setError(code ? { kind: 'alert', text: messageOf(err), code } : { kind: 'alert', text: messageOf(err) });
        if (err instanceof ApiError && err.retryable) setRetry(() => () => run(fn));
      })
      .finally(() => {
        running.current = false;
        setBusy(false);
      });
  };
  return { busy, error, retry, run, setError };
}

/** Link navigates inside the app without reloading the page. */
export function Link({ href, navigate, children, class: cls }: { href: string; navigate: (path: string) => void; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={href}
      class={cls}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // new tab and the like
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

/** BackTo is the link-like button under a form that leads to another screen. */
export function BackTo(p: { lead?: string; label: string; onClick: () => void }) {
  return (
    <nav class="alternatives" aria-label="Other choices">
      <p>
        {p.lead && `${p.lead} `}
        <button type="button" class="link" onClick={p.onClick}>
          {p.label}
        </button>
      </p>
    </nav>
  );
}
