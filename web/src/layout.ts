/** The frame of every page: navigation, a heading, messages. */
import { h, replace, type Child } from './dom.js';
import { auditPath, queuePath } from './paths.js';
import { ApiError } from './api.js';

const main = (): HTMLElement => document.getElementById('main')!;

/** Renders a page into <main> under a navigation bar whose `current` entry is marked. */
export function page(current: string, title: string, ...children: Child[]): HTMLElement {
  document.title = `${title} · Cordon`;
  const nav = document.getElementById('nav');
  if (nav) {
    const link = (key: string, href: string, text: string) => h('a', { href, 'aria-current': key === current ? 'page' : undefined }, text);
    replace(
      nav,
      h(
        'ul',
        {},
        h('li', {}, link('queue', queuePath(), 'Waiting')),
        h('li', {}, link('decided', `${queuePath()}?view=decided`, 'Recently decided')),
        h('li', {}, link('blocked', `${queuePath()}?view=blocked`, 'Blocked')),
        h('li', {}, link('audit', auditPath(), 'Audit log')),
      ),
    );
  }
  const m = main();
  replace(m, ...children);
  m.setAttribute('aria-busy', 'false');
  return m;
}

/** A message box; `kind` is said in words too. */
export function notice(kind: 'error' | 'info' | 'ok' | 'warning', ...children: Child[]): HTMLElement {
  const word = { error: 'Error', info: 'Note', ok: 'OK', warning: 'Warning' }[kind];
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('strong', {}, `${word}: `), ...children);
}

/** An error as text the reviewer can act on (the mirror's message, with its code). */
export function errorNotice(err: unknown): HTMLElement {
  if (err instanceof ApiError) return notice('error', err.message, ' ', h('code', {}, `[${err.code}]`));
  return notice('error', (err as Error)?.message ?? String(err));
}

/** A command to copy, with a button that copies it. */
export function command(text: string, label = 'Copy command'): HTMLElement {
  const code = h('code', {}, text);
  const button = h('button', { type: 'button', class: 'copy' }, label);
  const status = h('span', { class: 'copied', 'aria-live': 'polite' });
  button.addEventListener('click', () => {
    navigator.clipboard?.writeText(text).then(
      () => replace(status, 'Copied.'),
      () => replace(status, 'Select the text and copy it.'),
    );
  });
  return h('div', { class: 'command' }, h('pre', {}, code), button, status);
}
