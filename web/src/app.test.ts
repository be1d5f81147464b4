import { describe, expect, it } from 'vitest';

import { restorable, route } from './app';
import { label } from './screens/notes';

describe('route', () => {
  it('reads the app’s paths, which stay clear of the API’s /notes', () => {
    expect(route('/')).toEqual({ name: 'notes' });
    expect(route('/new-note')).toEqual({ name: 'new' });
    expect(route('/note/01M8A6F9VK6V4M3T2RC7XJ5ZP9')).toEqual({ name: 'note', id: '01M8A6F9VK6V4M3T2RC7XJ5ZP9' });
    expect(route('/note/01M8A6F9VK6V4M3T2RC7XJ5ZP9/edit')).toEqual({ name: 'edit', id: '01M8A6F9VK6V4M3T2RC7XJ5ZP9' });
    expect(route('/notes/01M8A6F9VK6V4M3T2RC7XJ5ZP9')).toEqual({ name: 'notes' });
    expect(route('/anything/else')).toEqual({ name: 'notes' });
  });

  it('takes a malformed address without failing, so the note screen can say it points to no note', () => {
    expect(route('/note/%E0%A4%A')).toEqual({ name: 'note', id: '%E0%A4%A' });
    expect(route('/note/%zz/edit')).toEqual({ name: 'edit', id: '%zz' });
  });
});

describe('label', () => {
  it('names a note by its title, else the start of its first line', () => {
    expect(label({ title: ' Groceries ', content: 'milk' })).toBe('Groceries');
    expect(label({ title: '', content: '\n call Sam\nabout the car' })).toBe('call Sam');
    expect(label({ title: '', content: 'x'.repeat(80) })).toBe('x'.repeat(59) + '…');
    expect(label({ title: '', content: '   ' })).toBe('Untitled note');
  });
});

describe('restorable', () => {
  it('gives unsaved text back only to the account that wrote it', () => {
    const draft = { email: 'alice@example.com', path: '/new-note', title: '', content: 'half a thought' };
    expect(restorable(draft, 'alice@example.com')).toBe(draft);
    expect(restorable(draft, 'bob@example.com')).toBeUndefined();
    expect(restorable(draft, undefined)).toBeUndefined();
    expect(restorable(undefined, 'alice@example.com')).toBeUndefined();
  });
});
