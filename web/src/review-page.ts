/** The review of one version: findings, metadata diff, changed files, decisions, and the decision form. */
import { ApiError, get } from './api.js';
import { h, replace, visible, type Child } from './dom.js';
import { command, errorNotice, notice, page } from './layout.js';
import { packagePath } from './paths.js';
import { SEVERITIES, severityBadge, stateBadge } from './badges.js';
import { timeEl } from './time.js';
import { fileSection, lineAnchor, type FileDiff, type FindingLines } from './diff-view.js';
import { decidePanel } from './decide-panel.js';
import type { RelyingParty } from './webauthn.js';

interface Finding {
  category: string;
  rule: string;
  severity: string;
  message: string;
  file?: string;
  line?: number;
  evidence?: string;
}
interface Review {
  now: string;
  status: {
    state: string;
    visible: boolean;
    integrity: string | null;
    findingsDigest: string | null;
    analysis: string | null;
    maxSeverity: string | null;
    cooldownEndsAt: string;
    releaseAt: string | null;
    fastTrack: boolean;
    required: number;
    approvedBy: string[];
    reason: string;
    publishedAt: string | null;
    firstSeenAt: string;
  };
  analysis: { previousVersion: string | null; findings: Finding[]; digest: string; analyzerVersion: string; finishedAt: string } | null;
  refusals: { count: number; firstAt: string | null; lastAt: string | null; lastUserAgent: string | null };
  decisions: Array<{
    approver: string;
    decision: string;
    method: string;
    reason: string;
    acceptedAt: string;
    counts: string | null;
    auditId: number;
  }>;
  approvers: Array<{ name: string; passkeys: number }>;
  passkeys: RelyingParty;
  commands: { approve: string; reject: string; show: string };
}
interface Diff {
  previousVersion: string | null;
  files: FileDiff[];
  unchangedFiles: number;
  metadata: Array<{ name: string; changes: Array<{ key: string; before: string | null; after: string | null }>; unchanged: number }> | null;
}

function findingsSection(findings: Finding[]): HTMLElement {
  if (!findings.length)
    return h(
      'section',
      { 'aria-labelledby': 'findings-h' },
      h('h2', { id: 'findings-h' }, 'Findings'),
      h('p', {}, 'No findings: the analysis saw no new capability.'),
    );
  const groups: Child[] = [];
  const known = new Set(SEVERITIES);
  const order = [...SEVERITIES, ...new Set(findings.map((f) => f.severity).filter((s) => !known.has(s)))];
  for (const severity of order) {
    const group = findings.filter((f) => f.severity === severity);
    if (!group.length) continue;
    groups.push(h('h3', { class: 'severity-h' }, severityBadge(severity), ` ${group.length} finding${group.length === 1 ? '' : 's'}`));
    groups.push(
      h(
        'ul',
        { class: 'findings' },
        group.map((f) =>
          h(
            'li',
            { class: 'finding', 'data-severity': known.has(f.severity) ? f.severity : 'unknown' },
            h('p', {}, h('code', { class: 'rule' }, visible(f.rule)), ' ', visible(f.message)),
            f.file
              ? h(
                  'p',
                  { class: 'where' },
                  'in ',
                  f.line
                    ? h('a', { href: `#${lineAnchor(f.file, f.line)}` }, h('code', {}, visible(`${f.file}:${f.line}`)))
                    : h('code', {}, visible(f.file)),
                )
              : null,
            f.evidence ? h('pre', { class: 'evidence' }, h('mark', {}, visible(f.evidence))) : null,
          ),
        ),
      ),
    );
  }
  return h('section', { 'aria-labelledby': 'findings-h' }, h('h2', { id: 'findings-h' }, `Findings (${findings.length})`), ...groups);
}

function metadataSection(meta: Diff['metadata']): HTMLElement {
  if (!meta) return h('section', {}, h('h2', {}, 'Metadata'), h('p', {}, "Upstream no longer lists this version's metadata."));
  const changed = meta.filter((s) => s.changes.length);
  const same = meta.filter((s) => !s.changes.length).map((s) => `${s.name}${s.unchanged ? ` (${s.unchanged})` : ''}`);
  return h(
    'section',
    { 'aria-labelledby': 'meta-h' },
    h('h2', { id: 'meta-h' }, 'Metadata against the previous version'),
    changed.length
      ? changed.map((s) =>
          h(
            'div',
            { class: 'meta' },
            h('h3', {}, s.name),
            h(
              'table',
              { class: 'list meta-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Entry', 'Before', 'Now'].map((t) => h('th', { scope: 'col' }, t)),
                ),
              ),
              h(
                'tbody',
                {},
                s.changes.map((c) =>
                  h(
                    'tr',
                    { 'data-t': c.before === null ? 'added' : c.after === null ? 'removed' : 'changed' },
                    h('th', { scope: 'row', 'data-label': 'Entry' }, h('code', {}, visible(c.key))),
                    h('td', { 'data-label': 'Before' }, c.before === null ? h('em', {}, 'absent') : h('code', {}, visible(c.before))),
                    h('td', { 'data-label': 'Now' }, c.after === null ? h('em', {}, 'removed') : h('code', {}, visible(c.after))),
                  ),
                ),
              ),
            ),
          ),
        )
      : h('p', {}, 'No metadata changed.'),
    same.length ? h('p', { class: 'sub' }, `Unchanged: ${same.join(', ')}.`) : null,
  );
}

function decisionsSection(r: Review): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': 'decisions-h' },
    h('h2', { id: 'decisions-h' }, 'Decisions so far'),
    r.decisions.length
      ? h(
          'table',
          { class: 'list' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Approver', 'Decision', 'Signed with', 'When', 'Reason', 'Counts now'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            {},
            r.decisions.map((d) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row', 'data-label': 'Approver' }, visible(d.approver)),
                h('td', { 'data-label': 'Decision' }, d.decision),
                h('td', { 'data-label': 'Signed with' }, d.method === 'webauthn' ? 'passkey' : 'SSH key'),
                h('td', { 'data-label': 'When' }, timeEl(d.acceptedAt, Date.parse(r.now))),
                h('td', { 'data-label': 'Reason' }, visible(d.reason) || '—'),
                h('td', { 'data-label': 'Counts now' }, d.counts ?? '—'),
              ),
            ),
          ),
        )
      : h('p', {}, 'No one has signed a decision about this version.'),
  );
}

async function loadDiff(name: string, version: string, review: Review, box: HTMLElement, attempt = 0): Promise<void> {
  let diff: Diff;
  try {
    diff = await get<Diff>('review/diff', { package: name, version });
  } catch (err) {
    if (err instanceof ApiError && err.status === 429 && attempt < 5) {
      replace(
        box,
        notice(
          'info',
          `The mirror is building other diffs; trying again in ${err.retryAfter ?? 5} seconds. The findings above stand without it.`,
        ),
      );
      setTimeout(() => void loadDiff(name, version, review, box, attempt + 1), (err.retryAfter ?? 5) * 1000);
      return;
    }
    replace(
      box,
      h('h2', {}, 'Changed files'),
      errorNotice(err),
      h('p', {}, 'Read the diff in a terminal instead:'),
      command(review.commands.show),
    );
    return;
  }
  const marks = new Map<string, Map<number, string>>();
  for (const f of review.analysis?.findings ?? [])
    if (f.file && f.line) marks.set(f.file, (marks.get(f.file) ?? new Map<number, string>()).set(f.line, f.rule));
  let mode: 'unified' | 'side' = localStorage.getItem('cordon.diff') === 'side' ? 'side' : 'unified';
  const files = h('div', { id: 'files' });
  const draw = () => replace(files, ...diff.files.map((f) => fileSection(f, marks as FindingLines, mode)));
  const toggle = (m: 'unified' | 'side', label: string) => {
    const b = h('button', { type: 'button', 'aria-pressed': String(mode === m), class: 'toggle' }, label);
    b.addEventListener('click', () => {
      mode = m;
      localStorage.setItem('cordon.diff', m);
      for (const other of b.parentElement!.querySelectorAll('button')) other.setAttribute('aria-pressed', String(other === b));
      draw();
    });
    return b;
  };
  draw();
  replace(
    box,
    metadataSection(diff.metadata),
    h(
      'section',
      { 'aria-labelledby': 'files-h' },
      h('h2', { id: 'files-h' }, `Changed files (${diff.files.length})`),
      h(
        'p',
        { class: 'sub' },
        `Against ${diff.previousVersion ? visible(diff.previousVersion) : 'nothing (first version: every file is new)'}; ${diff.unchangedFiles} file${diff.unchangedFiles === 1 ? '' : 's'} unchanged. Lines with a finding are marked ⚑.`,
      ),
      h(
        'div',
        { class: 'toolbar', role: 'group', 'aria-label': 'Diff layout' },
        toggle('unified', 'Unified'),
        toggle('side', 'Side by side'),
      ),
      files,
    ),
  );
  if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
}

/** Renders the review page of `name@version`. */
export async function render(name: string, version: string, flash?: string): Promise<void> {
  const spec = visible(`${name}@${version}`);
  page('review', spec, h('h1', {}, spec), h('p', {}, 'Loading the review…'));
  let review: Review;
  try {
    review = await get<Review>('review/version', { package: name, version });
  } catch (err) {
    page(
      'review',
      spec,
      h('h1', {}, spec),
      errorNotice(err),
      h('p', {}, h('a', { href: packagePath(name) }, 'All versions of this package')),
    );
    return;
  }
  const s = review.status;
  const now = Date.parse(review.now);
  const decidable =
    (s.state === 'held' || s.state === 'quarantined') && !s.visible && s.analysis !== 'pending' && s.findingsDigest !== null;
  const diffBox = h('div', { id: 'diff', 'aria-live': 'polite' }, h('h2', {}, 'Changed files'), h('p', {}, 'Building the file diff…'));
  page(
    'review',
    spec,
    h(
      'div',
      { class: 'review-head' },
      h('h1', {}, spec),
      h(
        'p',
        { class: 'facts' },
        stateBadge(s.state),
        ' ',
        s.releaseAt
          ? h('span', {}, 'releases ', timeEl(s.releaseAt, now))
          : s.visible
            ? h('span', {}, 'installable')
            : h('span', {}, 'time alone will not release it'),
        h(
          'span',
          {},
          `approvals ${s.approvedBy.length} of ${s.required}${s.fastTrack ? ' (fast-track: the cooldown has not ended)' : ''}${s.approvedBy.length ? ` — ${s.approvedBy.join(', ')}` : ''}`,
        ),
      ),
      h('p', { class: 'sub' }, visible(s.reason)),
      h(
        'dl',
        { class: 'meta-list' },
        h('dt', {}, 'Published'),
        h('dd', {}, timeEl(s.publishedAt, now)),
        h('dt', {}, 'First seen'),
        h('dd', {}, timeEl(s.firstSeenAt, now)),
        h('dt', {}, 'Compared with'),
        h('dd', {}, review.analysis?.previousVersion ? visible(review.analysis.previousVersion) : '(no earlier version)'),
        h('dt', {}, 'Refused'),
        h(
          'dd',
          {},
          review.refusals.count === 0
            ? 'no install has asked for it'
            : [
                `tried by ${review.refusals.count} install${review.refusals.count === 1 ? '' : 's'} since `,
                timeEl(review.refusals.firstAt, now),
                review.refusals.lastUserAgent ? h('span', { class: 'abs' }, ` (last: ${visible(review.refusals.lastUserAgent)})`) : null,
              ],
        ),
        h('dt', {}, 'Tarball'),
        h('dd', {}, h('code', { class: 'wrap' }, s.integrity ?? '(none)')),
        h('dt', {}, 'Findings digest'),
        h('dd', {}, h('code', { class: 'wrap' }, s.findingsDigest ?? '(analysis not finished)')),
      ),
      h('p', {}, h('a', { href: packagePath(name) }, `All versions of ${visible(name)}`)),
    ),
    review.analysis
      ? findingsSection(review.analysis.findings)
      : h('section', {}, h('h2', {}, 'Findings'), h('p', {}, 'The analysis has not finished.')),
    decisionsSection(review),
    decidable
      ? decidePanel({
          name,
          version,
          approvers: review.approvers,
          passkeys: review.passkeys,
          commands: review.commands,
          flash,
          done: (msg) => void render(name, version, msg),
        })
      : h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Decide'),
          flash ? h('div', { id: 'decide-status', 'aria-live': 'assertive' }, notice('ok', visible(flash))) : null,
          h(
            'p',
            {},
            s.analysis === 'pending'
              ? 'The analysis has not finished: there is nothing to review yet.'
              : `This version is ${s.visible ? 'installable' : s.state}; only quarantined or held versions can be decided.`,
          ),
        ),
    diffBox,
  );
  if (review.analysis && s.integrity) void loadDiff(name, version, review, diffBox);
  else replace(diffBox);
}
