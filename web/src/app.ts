/** Entry of the review pages: picks the page for the current path. Everything it shows from packages is text. */
import { h } from './dom.js';
import { page } from './layout.js';
import { queuePath, route } from './paths.js';
import * as queue from './queue-page.js';
import * as review from './review-page.js';
import * as pkg from './package-page.js';
import * as audit from './audit-page.js';
import * as enroll from './enroll-page.js';

function render(): void {
  const r = route(location.pathname);
  switch (r.page) {
    case 'queue':
      void queue.render();
      return;
    case 'review':
      void review.render(r.name, r.version);
      return;
    case 'package':
      void pkg.render(r.name);
      return;
    case 'audit':
      void audit.render();
      return;
    case 'enroll':
      void enroll.render();
      return;
    case 'unknown':
      page('unknown', 'Not found', h('h1', {}, 'No such page'), h('p', {}, h('a', { href: queuePath() }, 'See the waiting versions')));
  }
}

window.addEventListener('popstate', render);
render();
