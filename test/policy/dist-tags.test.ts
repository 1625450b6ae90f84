import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteDistTags } from '../../server/policy/dist-tags';

const cases: Array<[string, Record<string, unknown>, string[], Record<string, string>]> = [
  [
    'visible targets are kept',
    { latest: '1.1.0', beta: '2.0.0-beta.1' },
    ['1.0.0', '1.1.0', '2.0.0-beta.1'],
    { latest: '1.1.0', beta: '2.0.0-beta.1' },
  ],
  [
    'hidden latest moves to the highest visible stable below it',
    { latest: '1.2.0' },
    ['1.0.0', '1.1.0', '1.2.0-rc.1'],
    { latest: '1.1.0' },
  ],
  ['latest never moves to a prerelease', { latest: '2.0.0' }, ['2.0.0-rc.1'], {}],
  [
    'hidden latest with only higher stable visible falls back to the highest stable',
    { latest: '1.5.0' },
    ['2.0.0', '2.1.0'],
    { latest: '2.1.0' },
  ],
  [
    'prerelease tag moves within its channel',
    { beta: '2.0.0-beta.3' },
    ['1.0.0', '2.0.0-beta.2', '2.0.0-alpha.9'],
    { beta: '2.0.0-beta.2' },
  ],
  ['prerelease tag with no visible version in its channel is dropped', { next: '3.0.0-next.1' }, ['1.0.0', '3.0.0-beta.1'], {}],
  ['a non-latest stable tag stays on its line', { 'v1-lts': '1.9.3' }, ['1.9.2', '2.0.0'], { 'v1-lts': '1.9.2' }],
  ['a non-latest stable tag with nothing below is dropped', { old: '0.1.0' }, ['1.0.0'], {}],
  ['non-string targets are dropped', { latest: 42, beta: null }, ['1.0.0'], {}],
  ['an invalid target on a hidden version is dropped unless latest', { weird: 'banana', latest: 'banana' }, ['1.0.0'], { latest: '1.0.0' }],
  ['nothing visible: no tags', { latest: '1.0.0' }, [], {}],
];

for (const [name, tags, visible, expected] of cases) {
  test(name, () => assert.deepEqual(rewriteDistTags(tags, visible), expected));
}
