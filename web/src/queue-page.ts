/** The queue: what waits (held, quarantined, under approval: always), and the recently decided and blocked views. */
import { get } from './api.js';
import { h, visible } from './dom.js';
import { errorNotice, page } from './layout.js';
import { queuePath, reviewPath, packagePath } from './paths.js';
import { severityBadge, stateBadge } from './badges.js';
import { duration, timeEl } from './time.js';

interface QueueEntry {
  package: string;
  version: string;
  state: string;
  analysis: string | null;
  maxSeverity: string | null;
  releaseAt: string | null;
  cooldownEndsAt: string;
  fastTrack: boolean;
  required: number;
  approvedBy: string[];
  approvalAlways: boolean;
  waitingMs: number;
  firstSeenAt: string;
  worstFinding: { severity: string; rule: string; message: string } | null;
  findings: number | null;
}

interface RecentEntry {
  package: string;
  version: string;
  state: string;
  reason: string;
  updatedAt: string;
  publishedAt: string | null;
  maxSeverity: string | null;
  approvedBy: string[];
}

const STATE_FILTERS: Array<[string, string]> = [
  ['', 'Everything waiting'],
  ['held', 'Held (a finding needs a person)'],
  ['quarantined', 'Quarantined (cooling down)'],
  ['approval', 'Under approval: always'],
];

function timeLeft(e: QueueEntry, now: number): HTMLElement {
  if (e.analysis === 'pending') return h('span', {}, 'analysis running');
  if (e.releaseAt) {
    const left = Date.parse(e.releaseAt) - now;
    return left > 0 ? h('span', {}, 'releases ', timeEl(e.releaseAt, now, { absolute: false })) : h('span', {}, 'cooldown over');
  }
  const left = Date.parse(e.cooldownEndsAt) - now;
  return h(
    'span',
    {},
    'needs approval',
    left > 0 ? h('span', { class: 'sub' }, ' — cooldown ends ', timeEl(e.cooldownEndsAt, now, { absolute: false })) : null,
  );
}

function filters(state: string, pkg: string): HTMLElement {
  const select = h(
    'select',
    { id: 'filter-state', name: 'state' },
    STATE_FILTERS.map(([value, label]) => h('option', { value, selected: value === state }, label)),
  );
  const input = h('input', {
    id: 'filter-package',
    name: 'package',
    type: 'search',
    value: pkg,
    placeholder: 'package name',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the queue' },
    h('label', { for: 'filter-state' }, 'State'),
    select,
    h('label', { for: 'filter-package' }, 'Package'),
    input,
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    if (select.value) q.set('state', select.value);
    if (input.value.trim()) q.set('package', input.value.trim());
    history.pushState(null, '', `${queuePath()}${q.toString() ? `?${q}` : ''}`);
    void render();
  });
  return form;
}

async function renderWaiting(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const state = params.get('state') ?? '';
  const pkg = params.get('package') ?? '';
  const after = params.get('after') ?? '';
  const body = h('div', { id: 'queue-body', 'aria-live': 'polite' }, 'Loading the queue…');
  page(
    'queue',
    'Waiting versions',
    h('h1', {}, 'Waiting versions'),
    h(
      'p',
      { class: 'lead' },
      'Versions the mirror holds back: held by a finding, cooling down in quarantine, or under an approval: always rule.',
    ),
    filters(state, pkg),
    body,
  );
  try {
    const q = await get<{ now: string; versions: QueueEntry[]; total?: number; next?: string | null }>('approvals/queue', {
      ...(state ? { state } : {}),
      ...(pkg ? { package: pkg } : {}),
      ...(after ? { after } : {}),
    });
    const now = Date.parse(q.now);
    if (q.versions.length === 0) {
      body.replaceChildren(h('p', { class: 'empty' }, state || pkg ? 'Nothing waiting matches this filter.' : 'Nothing is waiting.'));
      return;
    }
    const rows = q.versions.map((e) =>
      h(
        'tr',
        {},
        h(
          'th',
          { scope: 'row', 'data-label': 'Version' },
          h('a', { href: reviewPath(e.package, e.version) }, visible(`${e.package}@${e.version}`)),
        ),
        h('td', { 'data-label': 'State' }, stateBadge(e.state), e.approvalAlways ? h('span', { class: 'sub' }, ' approval: always') : null),
        h(
          'td',
          { 'data-label': 'Worst finding' },
          e.worstFinding
            ? [
                severityBadge(e.worstFinding.severity),
                ' ',
                h('span', { class: 'finding-msg' }, visible(e.worstFinding.message)),
                e.findings && e.findings > 1 ? h('span', { class: 'sub' }, ` (+${e.findings - 1} more)`) : null,
              ]
            : e.analysis === 'pending'
              ? 'analysis not finished'
              : 'no findings',
        ),
        h('td', { 'data-label': 'Time left' }, timeLeft(e, now)),
        h(
          'td',
          { 'data-label': 'Approvals' },
          `${e.approvedBy.length} of ${e.required}`,
          e.fastTrack ? h('span', { class: 'sub' }, ' (fast-track)') : null,
          e.approvedBy.length ? h('span', { class: 'sub' }, ` — ${e.approvedBy.join(', ')}`) : null,
        ),
        h('td', { 'data-label': 'Waiting', class: 'nowrap' }, h('span', { title: `first seen ${e.firstSeenAt}` }, duration(e.waitingMs))),
      ),
    );
    // The queue comes in pages: say how many wait in all, and link the next page.
    const total = q.total ?? q.versions.length;
    const more = new URLSearchParams({
      ...(state ? { state } : {}),
      ...(pkg ? { package: pkg } : {}),
      ...(q.next ? { after: q.next } : {}),
    });
    body.replaceChildren(
      ...[
        h(
          'p',
          { class: 'count' },
          total === q.versions.length && !after
            ? `${total} version${total === 1 ? '' : 's'} waiting.`
            : `${q.versions.length} of ${total} versions waiting shown.`,
        ),
        h(
          'table',
          { class: 'list queue' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Version', 'State', 'Worst finding', 'Time left', 'Approvals', 'Waiting'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h('tbody', {}, rows),
        ),
        ...(q.next ? [h('p', {}, h('a', { href: `${queuePath()}?${more}`, class: 'more' }, 'Next page'))] : []),
      ],
    );
  } catch (err) {
    body.replaceChildren(errorNotice(err));
  }
}

async function renderRecent(view: 'decided' | 'blocked'): Promise<void> {
  const title = view === 'decided' ? 'Recently decided' : 'Blocked versions';
  const body = h('div', { 'aria-live': 'polite' }, 'Loading…');
  page(
    view,
    title,
    h('h1', {}, title),
    h(
      'p',
      { class: 'lead' },
      view === 'decided'
        ? 'Versions approved or rejected with a signature, newest first.'
        : 'Versions withdrawn upstream before release, or whose bytes changed under the same version number. They never become installable.',
    ),
    body,
  );
  try {
    const r = await get<{ now: string; versions: RecentEntry[] }>('review/recent', { view });
    const now = Date.parse(r.now);
    if (!r.versions.length) return void body.replaceChildren(h('p', { class: 'empty' }, 'None yet.'));
    body.replaceChildren(
      h(
        'table',
        { class: 'list recent' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Version', 'State', 'When', 'Why'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          r.versions.map((e) =>
            h(
              'tr',
              {},
              h(
                'th',
                { scope: 'row', 'data-label': 'Version' },
                h('a', { href: reviewPath(e.package, e.version) }, visible(`${e.package}@${e.version}`)),
                ' ',
                h('a', { href: packagePath(e.package), class: 'sub' }, 'all versions'),
              ),
              h('td', { 'data-label': 'State' }, stateBadge(e.state)),
              h('td', { 'data-label': 'When' }, timeEl(e.updatedAt, now)),
              h('td', { 'data-label': 'Why' }, visible(e.reason)),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    body.replaceChildren(errorNotice(err));
  }
}

/** Renders the queue page for the current URL. */
export function render(): Promise<void> {
  const view = new URLSearchParams(location.search).get('view');
  return view === 'decided' || view === 'blocked' ? renderRecent(view) : renderWaiting();
}
