import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError } from '../api';
import type { Api, Note } from '../api';
import { Link, Notice, Screen, useAction } from '../ui';
import type { Message } from '../ui';
import { label, when } from './notes';

/** NoteView shows one note, with Edit and Delete (which asks first, in a dialog). */
export function NoteView(p: {
  api: Api;
  id: string;
  navigate: (path: string, flash?: Message) => void;
  flash: Message | undefined;
  onSessionEnded: (m: string) => void;
}) {
  const [note, setNote] = useState<Note | undefined>();
  const action = useAction(p.onSessionEnded);
  const dialog = useRef<HTMLDialogElement>(null);
  const load = () =>
    action.run(async () => {
      setNote(await p.api.get(p.id));
    });
  useEffect(load, [p.id]);

  const remove = () => {
    if (!note) return;
    dialog.current?.close();
    action.run(async () => {
      try {
        await p.api.remove(note.noteId, note.version);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'NotFound') {
          p.navigate('/', { kind: 'status', text: 'That note was already deleted.' });
          return;
        }
        throw err;
      }
      p.navigate('/', { kind: 'status', text: `Deleted “${label(note)}”.` });
    });
  };
  const conflict = action.error?.code === 'PreconditionFailed';

  return (
    <Screen title={note ? label(note) : 'Note'}>
      <Notice message={p.flash} />
      {!note && !action.error && <p role="status">Loading the note…</p>}
      <Notice message={action.error} onRetry={conflict ? undefined : action.retry} />
      {conflict && (
        <p>
          <button type="button" onClick={load}>
            Reload the note
          </button>
        </p>
      )}
      {note && (
        <article class="note">
          <p class="meta">
            Changed {when(note.updatedAt)} · created {when(note.createdAt)} · version {note.version}
          </p>
          <div class="content">{note.content}</div>
          <div class="actions">
            <Link href={`/note/${note.noteId}/edit`} navigate={p.navigate} class="button primary">
              Edit
            </Link>
            <button type="button" class="danger" onClick={() => dialog.current?.showModal()}>
              Delete
            </button>
          </div>
        </article>
      )}
      <p>
        <Link href="/" navigate={p.navigate}>
          Back to your notes
        </Link>
      </p>
      <dialog ref={dialog} aria-labelledby="delete-title" aria-describedby="delete-text">
        <h2 id="delete-title">Delete this note?</h2>
        <p id="delete-text">“{note ? label(note) : ''}” will be deleted for good.</p>
        <div class="actions">
          <button type="button" class="danger" onClick={remove}>
            Delete note
          </button>
          {/* The safe choice has the focus when the dialog opens. */}
          <button type="button" autoFocus onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </Screen>
  );
}
