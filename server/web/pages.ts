/**
 * The server's own two small pages, outside the built site: the one that says how to get in, and
 * the one a login link lands on. Self-contained (no script, no asset), so they work without a
 * session and give nothing away. Their icon is an empty one written in the page: without it the
 * browser asks for /favicon.ico, which the site does not have (a 404 in the console at sign-in).
 */

const DEFAULT_FIRST =
  'This tutorial types commands into a shell on the computer it runs on, so it opens only for the person who started it.';

/**
 * What a browser without a session sees: how to get in. No token, no meta tag, no link that signs
 * in. `host` is the request's Host header, already checked against the allowed names; `base` the
 * site's base path.
 */
export function howToGetInPage(host: string, base = '/', first = DEFAULT_FIRST): string {
  return page(
    'Open the link from your terminal',
    '',
    `<p>${escapeHtml(first)}</p>
<p>To get in, open the link that <code>npm start</code> printed in your terminal. It looks like <code>http://${escapeHtml(host)}${escapeHtml(base)}login?key=…</code> and works once: it signs this browser in, and from then on this address opens directly, also after the server restarts.</p>
<p>Each link works once; when one is used, the server prints the next one in the same terminal. If that terminal is gone, stop the server and run <code>npm start</code> again.</p>
${signedOutParagraph(host, base)}`,
  );
}

/**
 * Why a browser that had signed in can land here again: browsers keep cookies per host name, not
 * per port, so any other program serving pages on this machine (another port of the same address)
 * can replace this server's cookie with a Set-Cookie of the same name, or send so many cookies
 * that requests pass the server's header limit. Nothing is leaked and the terminals stay; the
 * learner signs in again, and can move to the other loopback name, whose cookies are kept apart.
 */
function signedOutParagraph(host: string, base: string): string {
  const m = /^(127\.0\.0\.1|localhost)(:\d+)?$/.exec(host);
  const other = m ? `${m[1] === 'localhost' ? '127.0.0.1' : 'localhost'}${m[2] ?? ''}` : undefined;
  const move = other
    ? ` If it keeps happening, use the tutorial at <code>http://${escapeHtml(other)}${escapeHtml(base)}</code> instead (sign in there by putting <code>${escapeHtml(other)}</code> in place of <code>${escapeHtml(host)}</code> in the next link): the browser keeps that name's cookies apart from the other program's.`
    : '';
  return `<p>Were you signed in a moment ago? Then another program that serves web pages on this computer (on another port of <code>${escapeHtml(host.replace(/:\d+$/, ''))}</code>) has probably replaced or crowded out this server's cookie: browsers keep cookies per address, not per port. Your terminals are still running and nothing was given away. Sign in again with the newest link in the server's terminal.${move} Removing this address's cookies in the browser's site settings also helps.</p>`;
}

/**
 * The answer to a request whose headers pass Node's limit (16 KB), nearly always because of
 * cookies: other local servers can set many for the same address (see signedOutParagraph).
 */
export const HEADERS_TOO_LARGE = `HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nYour browser sent more cookies for this address than the tutorial server accepts (16 KB of headers). Another program serving pages on this computer has probably set them: browsers keep cookies per address, not per port. Remove this address's cookies in the browser's site settings (or use http://localhost:PORT/ in place of http://127.0.0.1:PORT/, or the reverse), then sign in again with the newest link in the server's terminal.\n`;

/**
 * The page a login link answers with, once the session cookie is set: it goes on to the site by
 * itself. Not a redirect: a browser that opened the link from another site's page would not send a
 * SameSite=Strict cookie along a redirect that page started, but it does for a navigation that
 * our own page starts. `base` is the site's base path.
 */
export function signedInPage(base = '/'): string {
  const home = escapeHtml(base);
  return page(
    'Signed in',
    `<meta http-equiv="refresh" content="0; url=${home}">`,
    `<p>This browser is signed in. <a href="${home}">Go to the tutorial</a>.</p>`,
  );
}

function page(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="icon" href="data:,">${head}
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#8882;padding:0 .2em;overflow-wrap:anywhere}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

/** Text made safe to put between HTML tags or in a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
