/** The audit log, newest first in pages, with the hash chain's verification status and its head. */
import { get } from './api.js';
import { h, replace, visible } from './dom.js';
import { errorNotice, notice, page } from './layout.js';
import { auditPath, reviewPath } from './paths.js';
import { timeEl } from './time.js';

interface Entry {
  id: number;
  at: number;
  package: string;
  version: string | null;
  fromState: string | null;
  toState: string | null;
  cause: string;
  detail: Record<string, unknown> | null;
  hash: string;
  prevHash: string;
}
interface Status {
  ok: boolean;
  entries: number;
  decisions: number;
  passkeyDecisions: number;
  enrollments: number;
  problems: Array<{ id: number; code: string; message: string }>;
  head: { id: number; hash: string } | null;
  checkedAt: string;
}

const PAGE = 50;

function summary(e: Entry): string {
  const d = e.detail ?? {};
  const parts = [
    typeof d.reason === 'string' ? d.reason : '',
    typeof d.approver === 'string' ? `by ${d.approver}` : '',
    typeof d.decision === 'string' ? `${d.decision}` : '',
    d.method === 'webauthn' ? 'passkey' : '',
  ];
  return parts.filter(Boolean).join(' · ');
}

export async function render(): Promise<void> {
  const before = Number(new URLSearchParams(location.search).get('before') ?? '') || null;
  const statusBox = h('div', { id: 'audit-status', 'aria-live': 'polite' }, 'Checking the hash chain…');
  const list = h('div', { id: 'audit-list' }, 'Loading…');
  page(
    'audit',
    'Audit log',
    h('h1', {}, 'Audit log'),
    h(
      'p',
      { class: 'lead' },
      'Every first sight, analysis, state change, signed decision and passkey enrollment, hash-chained: an edited, inserted or deleted entry breaks the chain.',
    ),
    statusBox,
    list,
  );
  get<Status>('review/audit-status').then(
    (s) => {
      replace(
        statusBox,
        s.ok
          ? notice(
              'ok',
              `the chain of ${s.entries} entries verifies, with ${s.decisions} signed decision${s.decisions === 1 ? '' : 's'} (${s.passkeyDecisions} by passkey) and ${s.enrollments} passkey enrollment${s.enrollments === 1 ? '' : 's'}.`,
            )
          : notice(
              'error',
              `the audit log has ${s.problems.length} problem(s): it was changed outside Cordon.`,
              h(
                'ul',
                {},
                s.problems.map((p) => h('li', {}, `entry ${p.id}: ${visible(p.message)} [${p.code}]`)),
              ),
            ),
        s.head
          ? h(
              'p',
              {},
              'Head: ',
              h('code', { class: 'wrap', id: 'audit-head' }, `${s.head.id}:${s.head.hash}`),
              h('span', { class: 'sub' }, ' — write it down; "cordon audit verify --expect-head" then detects entries cut from the end.'),
            )
          : null,
      );
    },
    (err) => replace(statusBox, errorNotice(err)),
  );
  try {
    const [r, now] = await Promise.all([
      get<{ entries: Entry[]; next: number | null }>('approvals/audit', {
        before: String(before ?? Number.MAX_SAFE_INTEGER),
        limit: String(PAGE),
      }),
      get<{ now: string }>('review/clock').then((c) => Date.parse(c.now)),
    ]);
    replace(
      list,
      h(
        'table',
        { class: 'list audit' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['#', 'When', 'What', 'Change', 'Detail'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          r.entries.map((e) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row', 'data-label': '#' }, String(e.id)),
              h('td', { 'data-label': 'When' }, timeEl(new Date(e.at).toISOString(), now)),
              h(
                'td',
                { 'data-label': 'What' },
                e.version
                  ? h('a', { href: reviewPath(e.package, e.version) }, visible(`${e.package}@${e.version}`))
                  : visible(e.package === '-' ? 'passkeys' : e.package),
                h('br', {}),
                h('code', {}, visible(e.cause)),
              ),
              h('td', { 'data-label': 'Change' }, e.fromState || e.toState ? `${e.fromState ?? '—'} → ${e.toState ?? '—'}` : '—'),
              h(
                'td',
                { 'data-label': 'Detail' },
                visible(summary(e)),
                h('details', {}, h('summary', {}, 'entry'), h('pre', { class: 'json' }, visible(JSON.stringify(e, null, 2)))),
              ),
            ),
          ),
        ),
      ),
      h(
        'nav',
        { class: 'pager', 'aria-label': 'Audit pages' },
        before ? h('a', { href: auditPath() }, 'Newest') : null,
        ' ',
        r.next ? h('a', { href: `${auditPath()}?before=${r.next}` }, 'Older entries') : h('span', {}, 'This is the first entry.'),
      ),
    );
  } catch (err) {
    replace(list, errorNotice(err));
  }
}
