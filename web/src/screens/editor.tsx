import { useEffect, useState } from 'preact/hooks';

import { ApiError, checkInput, MAX_TITLE_CHARS } from '../api';
import type { Api, Note } from '../api';
import { Field, Link, Notice, Screen, useAction } from '../ui';
import type { Message } from '../ui';
import { label } from './notes';

/**
 * Editor creates a note (no id) or edits one. An edit sends If-Match with the version it loaded; when someone
 * changed the note meanwhile (412) the text typed here stays in the form, and the latest version can be loaded
 * beside it to compare, so nothing is lost either way.
 */
/** Draft is an editor's unsaved text, kept when the session ends and given back after the same user signs in. */
export interface Draft {
  email: string;
  /** The editor's address: /new-note or /note/<id>/edit. */
  path: string;
  title: string;
  content: string;
  /** The version the edit started from, so a save after the sign-in still sends If-Match with it. */
  version?: number;
}

/** Unsaved is the text an editor holds that differs from the note (or any text, for a new note). */
export type Unsaved = Omit<Draft, 'email' | 'path'>;

const restoredText: Message = {
  kind: 'status',
  text: 'What you typed before you were signed out is back. Save it to keep it.',
};

export function Editor(p: {
  api: Api;
  id?: string;
  navigate: (path: string, flash?: Message) => void;
  onSessionEnded: (m: string) => void;
  /** Where the editor keeps its unsaved text up to date, for the app to keep when the session ends. */
  unsaved: { current: Unsaved | undefined };
  draft?: Draft | undefined;
}) {
  const [base, setBase] = useState<Note | undefined>();
  const [title, setTitle] = useState(p.draft?.title ?? '');
  const [content, setContent] = useState(p.draft?.content ?? '');
  const [conflict, setConflict] = useState(false);
  const [gone, setGone] = useState(false);
  const [latest, setLatest] = useState<Note | undefined>();
  const [notice, setNotice] = useState<Message | undefined>(p.draft && !p.id ? restoredText : undefined);
  const action = useAction(p.onSessionEnded);
  const id = p.id;

  // A session that ends while text is unsaved (here or in another window) takes that text along.
  const dirty = base ? title !== base.title || content !== base.content : id === undefined && (title !== '' || content !== '');
  p.unsaved.current = dirty ? { title, content, ...(base ? { version: base.version } : {}) } : undefined;
  useEffect(
    () => () => {
      p.unsaved.current = undefined;
    },
    [],
  );

  useEffect(() => {
    if (!id) return;
    const draft = p.draft;
    action.run(async () => {
      const n = await p.api.get(id);
      if (draft) {
        // Keep the version the text was written against: a change made meanwhile still gets the 412.
        setBase({ ...n, version: draft.version ?? n.version });
        setNotice(restoredText);
        return;
      }
      setBase(n);
      setTitle(n.title);
      setContent(n.content);
    });
  }, [id]);

  const save = (e: Event) => {
    e.preventDefault();
    const input = { title, content };
    const problem = checkInput(input);
    if (problem) {
      action.setError({ kind: 'alert', text: problem });
      return;
    }
    setNotice(undefined);
    action.run(async () => {
      if (!id) {
        await create();
        return;
      }
      if (!base) return;
      try {
        await p.api.update(id, base.version, input);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'PreconditionFailed') {
          setConflict(true);
          throw new ApiError(412, err.code, `${err.message} Your text is still here: load the latest version to compare, then save again.`);
        }
        throw deleted(err);
      }
      p.navigate(`/note/${id}`, { kind: 'status', text: 'Saved.' });
    });
  };
  const create = async () => {
    const n = await p.api.create({ title, content });
    p.navigate(`/note/${n.noteId}`, { kind: 'status', text: 'Note created.' });
  };
  // A note deleted elsewhere cannot take the text any more; a new note can.
  const deleted = (err: unknown): unknown => {
    if (!(err instanceof ApiError && err.code === 'NotFound')) return err;
    setGone(true);
    return new ApiError(404, err.code, `${err.message} Your text is still here: save it as a new note to keep it.`);
  };

  const loadLatest = () => {
    if (!id) return;
    action.run(async () => {
      const n = await p.api.get(id).catch((err: unknown) => {
        throw deleted(err);
      });
      setLatest(n);
      setBase(n);
      setConflict(false);
      setNotice({
        kind: 'status',
        text: `Loaded version ${n.version}, shown below your text. Saving now replaces it with your text.`,
      });
    });
  };
  const useLatest = () => {
    if (!latest) return;
    setTitle(latest.title);
    setContent(latest.content);
    setLatest(undefined);
    setNotice({ kind: 'status', text: `Your text was replaced by version ${latest.version}.` });
  };

  const loading = id !== undefined && base === undefined;
  return (
    <Screen title={id ? (base ? `Edit “${label(base)}”` : 'Edit note') : 'New note'}>
      {loading && !action.error && <p role="status">Loading the note…</p>}
      {loading && action.error && <Notice message={action.error} onRetry={action.retry} />}
      {!loading && (
        <form onSubmit={save} aria-busy={action.busy}>
          <Field id="title" label="Title" maxLength={MAX_TITLE_CHARS} value={title} onInput={setTitle} />
          <Field id="content" label="Content" multiline required value={content} onInput={setContent} />
          <Notice message={notice} />
          <Notice message={action.error} onRetry={conflict ? undefined : action.retry} />
          {conflict && (
            <p>
              <button type="button" onClick={loadLatest}>
                Load the latest version
              </button>
            </p>
          )}
          {gone && (
            <p>
              <button type="button" onClick={() => action.run(create)}>
                Save as a new note
              </button>
            </p>
          )}
          <div class="actions">
            <button type="submit" class="primary">
              Save
            </button>
            <Link href={id ? `/note/${id}` : '/'} navigate={p.navigate} class="button">
              Cancel
            </Link>
          </div>
        </form>
      )}
      {latest && (
        <section class="latest" aria-labelledby="latest-title">
          <h2 id="latest-title">Saved elsewhere: version {latest.version}</h2>
          <p class="meta">Title: {latest.title || '(none)'}</p>
          <div class="content">{latest.content}</div>
          <button type="button" onClick={useLatest}>
            Use this version instead of my text
          </button>
        </section>
      )}
    </Screen>
  );
}
