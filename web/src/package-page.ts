/** Every version of one package with its state and release time. */
import { get } from './api.js';
import { h, visible } from './dom.js';
import { errorNotice, page } from './layout.js';
import { reviewPath } from './paths.js';
import { severityBadge, stateBadge } from './badges.js';
import { timeEl } from './time.js';

interface PackageStatus {
  name: string;
  versions: Array<{
    version: string;
    state: string;
    visible: boolean;
    publishedAt: string | null;
    firstSeenAt: string;
    releaseAt: string | null;
    reason: string;
    analysis: { state: string; maxSeverity: string | null };
  }>;
}

export async function render(name: string): Promise<void> {
  const title = visible(name);
  page('package', title, h('h1', {}, title), h('p', {}, 'Loading…'));
  try {
    const [p, now] = await Promise.all([
      get<PackageStatus>(`packages/${name.split('/').map(encodeURIComponent).join('%2f')}`),
      get<{ now: string }>('review/clock').then((c) => Date.parse(c.now)),
    ]);
    const versions = [...p.versions].reverse();
    page(
      'package',
      title,
      h('h1', {}, title),
      h(
        'p',
        { class: 'lead' },
        `${versions.length} version${versions.length === 1 ? '' : 's'} seen by this mirror, newest first. Installs see only released and approved ones.`,
      ),
      h(
        'table',
        { class: 'list versions' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Version', 'State', 'Published', 'Released or releases', 'Worst finding', 'Why'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          versions.map((v) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row', 'data-label': 'Version' }, h('a', { href: reviewPath(name, v.version) }, visible(v.version))),
              h(
                'td',
                { 'data-label': 'State' },
                stateBadge(v.state),
                v.visible ? h('span', { class: 'sub' }, ' installable') : h('span', { class: 'sub' }, ' hidden'),
              ),
              h('td', { 'data-label': 'Published' }, timeEl(v.publishedAt, now)),
              h(
                'td',
                { 'data-label': 'Released or releases' },
                v.releaseAt ? timeEl(v.releaseAt, now) : v.visible ? 'yes' : 'only with an approval',
              ),
              h(
                'td',
                { 'data-label': 'Worst finding' },
                v.analysis.state === 'not-required'
                  ? 'not analysed (baseline)'
                  : v.analysis.state === 'pending' || v.analysis.state === 'running'
                    ? 'analysis running'
                    : severityBadge(v.analysis.maxSeverity),
              ),
              h('td', { 'data-label': 'Why' }, visible(v.reason)),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    page('package', title, h('h1', {}, title), errorNotice(err));
  }
}
