// Entry point: load /config.json, then start the app against the API and user pool it names.
import './styles.css';

import { render } from 'preact';

import { Api } from './api';
import { App } from './app';
import { Auth } from './auth';
import { loadConfig } from './config';

async function start(root: HTMLElement): Promise<void> {
  root.replaceChildren(); // the "Loading…" placeholder of index.html
  try {
    const config = await loadConfig();
    const auth = new Auth({ config, storage: localStorage });
    const api = new Api({ baseUrl: config.apiUrl, tokens: auth });
    render(<App auth={auth} api={api} policy={config.passwordPolicy} />, root);
  } catch (err) {
    render(
      <main class="screen">
        <h1>authnotes cannot start</h1>
        <p role="alert">{err instanceof Error ? err.message : String(err)}</p>
      </main>,
      root,
    );
  }
}

const root = document.getElementById('app');
if (root) void start(root);
