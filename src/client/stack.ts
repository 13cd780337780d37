import type { ServiceStatus } from '../../protocol/messages.ts';
import { el } from './dom.ts';

const WORDS: Record<ServiceStatus['state'] | 'not-started', string> = {
  up: 'up',
  down: 'down',
  'not-started': 'not started yet',
  other: 'something else answers on its port',
  unknown: 'not known yet',
};

/**
 * Points the page's links to a service's UI (`<a data-service="kibana">` in a chapter, written
 * with the default port) at the address the server reports, which follows the workspace's
 * compose/.env: the path stays, the origin is the service's. In a workshop the address is a
 * path on this page's origin (the learner's Jupyter server's proxy, /user/<name>/proxy/<port>/):
 * the link's path goes under it.
 */
function followServiceLinks(services: ServiceStatus[]): void {
  for (const s of services) {
    if (!s.url) continue;
    const base = new URL(s.url, location.href);
    const under = base.pathname.replace(/\/$/, '');
    for (const a of document.querySelectorAll<HTMLAnchorElement>(`a[data-service="${CSS.escape(s.id)}"]`)) {
      const link = a.dataset.serviceHref ?? a.href;
      // Kept, so that a later report (a port changed in compose/.env) starts from the original.
      a.dataset.serviceHref = link;
      const target = new URL(link);
      target.protocol = base.protocol;
      target.host = base.host;
      target.pathname = `${under}${target.pathname === '/' && s.home ? s.home : target.pathname}`;
      a.href = target.href;
    }
  }
}

/** Fills every stack status panel on the page (src/components/StackStatus.astro) from a report. */
export function renderStack(services: ServiceStatus[]): void {
  followServiceLinks(services);
  for (const list of document.querySelectorAll<HTMLUListElement>('.stack-status')) {
    for (const s of services) {
      let item = list.querySelector<HTMLLIElement>(`[data-service="${CSS.escape(s.id)}"]`);
      if (!item) {
        item = el('li', 'stack-status__service');
        item.dataset.service = s.id;
        list.append(item);
      }
      // Before the chapter that starts the stack, a service that does not run is no failure.
      const state = s.state === 'down' && list.dataset.beforeStack === 'true' ? 'not-started' : s.state;
      item.dataset.state = state;
      const dot = el('span', 'stack-status__dot');
      dot.setAttribute('aria-hidden', 'true');
      const words = el('span', 'stack-status__state sr-only', `: ${WORDS[state]}`);
      // A service with its own UI links to it (a new tab: the terminal stays where it is).
      const name = s.url ? el('a', 'stack-status__name', s.name) : el('span', 'stack-status__name', s.name);
      if (name instanceof HTMLAnchorElement && s.url) {
        name.href = s.home ? `${s.url.replace(/\/$/, '')}${s.home}` : s.url;
        name.target = '_blank';
        name.rel = 'noopener noreferrer';
      }
      const detail = s.detail ? el('span', 'stack-status__detail', s.detail) : undefined;
      item.title = `${s.name}: ${WORDS[state]}${s.detail && state !== 'not-started' ? ` (${s.detail})` : ''}`;
      item.replaceChildren(dot, name, words, ...(detail ? [detail] : []));
    }
  }
}
