/** States and severities in words (with a mark), never by colour alone. */
import { h } from './dom.js';

const STATES: Record<string, { label: string; mark: string }> = {
  quarantined: { label: 'Quarantined', mark: '◷' },
  held: { label: 'Held', mark: '‖' },
  released: { label: 'Released', mark: '✓' },
  approved: { label: 'Approved', mark: '✓' },
  rejected: { label: 'Rejected', mark: '✗' },
  blocked: { label: 'Blocked', mark: '⊘' },
};

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

/** A state as a word, with a mark and a colour that only repeat it. */
export function stateBadge(state: string): HTMLElement {
  const s = STATES[state] ?? { label: `Unknown (${state})`, mark: '?' };
  return h(
    'span',
    { class: 'badge state', 'data-state': STATES[state] ? state : 'unknown' },
    h('span', { 'aria-hidden': 'true' }, `${s.mark} `),
    s.label,
  );
}

/** A severity as a word. */
export function severityBadge(severity: string | null): HTMLElement {
  const known = severity !== null && SEVERITIES.includes(severity);
  return h(
    'span',
    { class: 'badge severity', 'data-severity': known ? severity : 'unknown' },
    severity === null ? 'none' : known ? severity.toUpperCase() : `UNKNOWN (${severity})`,
  );
}

/** Severities most severe first; an unknown one counts as the worst. */
export const severityOrder = (severity: string): number => {
  const i = SEVERITIES.indexOf(severity);
  return i < 0 ? -1 : i;
};
export { SEVERITIES };
