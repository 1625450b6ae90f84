/** Times in the viewer's zone, with words for how long ago or how far ahead. */
import { h } from './dom.js';

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 864e5],
  ['month', 30 * 864e5],
  ['week', 7 * 864e5],
  ['day', 864e5],
  ['hour', 36e5],
  ['minute', 6e4],
  ['second', 1e3],
];

/** "in 2 days", "3 hours ago", relative to `now` (the mirror's clock). */
export function fromNow(at: number, now: number): string {
  const delta = at - now;
  for (const [unit, ms] of UNITS) if (Math.abs(delta) >= ms || unit === 'second') return relative.format(Math.round(delta / ms), unit);
  return '';
}

/** A length of time in words: "2 days", "5 hours". */
export function duration(ms: number): string {
  for (const [unit, size] of UNITS) {
    if (ms >= size || unit === 'second') {
      const n = Math.round(ms / size);
      return new Intl.NumberFormat(undefined, { style: 'unit', unit, unitDisplay: 'short' }).format(n);
    }
  }
  return '';
}

/** A <time> element: relative text, the local date and time on hover and for assistive technology. */
export function timeEl(iso: string | null, now: number, options: { absolute?: boolean } = {}): HTMLElement | string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  return h(
    'time',
    { datetime: iso, title: absolute.format(at) },
    fromNow(at, now),
    options.absolute === false ? null : h('span', { class: 'abs' }, ` (${absolute.format(at)})`),
  );
}

export const formatAbsolute = (iso: string): string => absolute.format(Date.parse(iso));
