/**
 * The only way the page builds DOM: text goes in as text nodes, attributes through an allowlist, links
 * only to paths this page made. Nothing is ever parsed as HTML (the CSP's Trusted Types would refuse it).
 */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

const ATTRIBUTES = new Set([
  'id',
  'class',
  'type',
  'value',
  'name',
  'for',
  'role',
  'tabindex',
  'title',
  'datetime',
  'placeholder',
  'rows',
  'maxlength',
  'colspan',
  'scope',
  'hidden',
  'disabled',
  'checked',
  'selected',
  'open',
  'autocomplete',
  'spellcheck',
  'lang',
  'dir',
  'readonly',
  'required',
  'aria-live',
  'aria-label',
  'aria-describedby',
  'aria-labelledby',
  'aria-current',
  'aria-pressed',
  'aria-busy',
  'aria-controls',
  'aria-expanded',
  'aria-hidden',
  'data-label',
  'data-state',
  'data-severity',
  'data-t',
  'data-tab',
]);

export type Props = Record<string, string | number | boolean | null | undefined> & { href?: string };

/** A link target: only paths on this origin that start with "/" (never "//", never a scheme). */
export function safeHref(href: string): string {
  if (!/^\/(?!\/)/.test(href) && !href.startsWith('#')) throw new Error(`refusing link ${JSON.stringify(href)}`);
  return href;
}

/** An element with attributes from the allowlist and children as text or nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'href') el.setAttribute('href', safeHref(String(value)));
    else if (ATTRIBUTES.has(key)) el.setAttribute(key, value === true ? '' : String(value));
    else throw new Error(`attribute ${key} is not allowed`);
  }
  append(el, children);
  return el;
}

/** Appends children; strings become text nodes. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'object' ? (c as Node) : document.createTextNode(String(c)));
  }
}

/** Replaces every child of `el`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Text with characters that could mislead a reviewer made visible: controls and bidirectional overrides. */
export function visible(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g,
    (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}
