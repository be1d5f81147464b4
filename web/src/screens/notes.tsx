import { useEffect, useRef, useState } from 'preact/hooks';

import type { Api, Note } from '../api';
import { Link, Notice, Screen, useAction } from '../ui';
import type { Message } from '../ui';

/** label names a note in lists and headings: its title, else the start of its first line. */
export function label(n: Pick<Note, 'title' | 'content'>): string {
  const t = n.title.trim();
  if (t) return t;
  const first = n.content.trim().split('\n')[0] ?? '';
  return first.length > 60 ? first.slice(0, 59) + '…' : first || 'Untitled note';
}

export function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function Notes(p: { api: Api; navigate: (path: string) => void; flash: Message | undefined; onSessionEnded: (m: string) => void }) {
  const [notes, setNotes] = useState<Note[] | undefined>();
  const [cursor, setCursor] = useState<string | undefined>();
  const action = useAction(p.onSessionEnded);
  const list = useRef<HTMLUListElement>(null);
  const firstNew = useRef(-1);

  const load = (after?: string) =>
    action.run(async () => {
      const page = await p.api.list(after);
      setNotes((prev) => {
        firstNew.current = after && prev ? prev.length : -1;
        return after && prev ? [...prev, ...page.items] : page.items;
      });
      setCursor(page.nextCursor);
    });
  useEffect(() => load(), []);
  // After "Load more", the keyboard continues at the first note that was added.
  useEffect(() => {
    if (firstNew.current >= 0) list.current?.querySelectorAll('a')[firstNew.current]?.focus();
    firstNew.current = -1;
  }, [notes]);

  return (
    <Screen title="Your notes">
      <Notice message={p.flash} />
      <p>
        <Link href="/new-note" navigate={p.navigate} class="button primary">
          New note
        </Link>
      </p>
      {notes === undefined && !action.error && <p role="status">Loading your notes…</p>}
      {notes?.length === 0 && <p>No notes yet. Write your first one with “New note”.</p>}
      {notes && notes.length > 0 && (
        <ul class="notes" ref={list}>
          {notes.map((n) => (
            <li key={n.noteId}>
              <Link href={`/note/${n.noteId}`} navigate={p.navigate}>
                {label(n)}
              </Link>
              <span class="meta">changed {when(n.updatedAt)}</span>
            </li>
          ))}
        </ul>
      )}
      <Notice message={action.error} onRetry={action.retry ?? (() => load(notes ? cursor : undefined))} />
      {cursor && (
        <button type="button" onClick={() => load(cursor)} aria-busy={action.busy}>
          Load more
        </button>
      )}
    </Screen>
  );
}
