import { allowedHosts, allowedOrigins, BEHIND_PROXY, type UpgradeRules } from './security.ts';
import { LoginLinks, Sessions } from './session.ts';

/**
 * Who gets in: the one place that decides it, for the pages (server/web/http.ts) and the terminal
 * websocket (server/web/sockets.ts). How the server listens picks one of two rule sets; nothing
 * else does, and no flag turns a check off.
 *
 * On a TCP port (`npm start`, the learner's own machine: trustOnPort). The threats: another site's
 * page in the learner's browser (cross-site websocket hijacking), a foreign name that resolves to
 * this machine (DNS rebinding), other programs and users of this machine, and the network under
 * `--host`. So Host and Origin must be the names of the address the server really listens on;
 * every page and the websocket need the session cookie that only the printed one-time login link
 * sets; and the websocket needs the per-start token of a page it was given.
 *
 * On a Unix socket (`--socket`, workshop mode behind jupyter-server-proxy: trustBehindProxy).
 * The socket is 0600 in a folder nobody else may enter (server/web/unix-socket.ts checks both)
 * inside the learner's own container, so the only one who can connect is that learner's Jupyter
 * server, and jupyter-server-proxy forwards only requests that passed Jupyter's login for that
 * learner (the hub's OAuth cookie or token). Jupyter's login and the socket's permissions are
 * the boundary: there is no login link and no cookie of ours (the learner never sees the
 * server's terminal, so a link could not reach them). Any Host is accepted, since the proxy
 * forwards the hub's public name, which this server cannot know. What is left to stop is
 * another site's page in the learner's browser, which would carry the hub's cookie along: an
 * upgrade's Origin must still be the page's own (http(s)://<Host>), and the token is still
 * required. No web page can reach a Unix socket by itself, and the user's own processes could
 * read the session key on a port as well: whoever puts a proxy of their own in front of `--socket`
 * makes that proxy's login the boundary, as jupyter-server-proxy's is here.
 */
export interface Trust extends UpgradeRules {
  /** The one-time login link and the session cookie it sets; none behind the proxy. */
  login?: { links: LoginLinks; sessions: Sessions };
}

/** The rules on a TCP port: the names of `address` (where the server listens), the session cookie and the token. */
export function trustOnPort(o: {
  /** The address the server listens on (server.address()), which decides the allowed names. */
  address: string;
  port: number;
  /** Extra Host names to accept (a LAN name). */
  extraHosts?: string[] | undefined;
  /** The key that signs the session cookies (server/web/session-key.ts). */
  key: Buffer;
  /** The site's address, under which the login link is made. */
  url: string;
  token: string;
}): Trust {
  const hosts = allowedHosts(o.address, o.port, o.extraHosts);
  const sessions = new Sessions(o.key, o.port);
  return {
    hosts,
    origins: allowedOrigins(hosts),
    token: o.token,
    signedIn: (req) => sessions.signedIn(req),
    login: { links: new LoginLinks(o.url), sessions },
  };
}

/** The rules on a Unix socket behind jupyter-server-proxy: any Host, the page's own Origin, the token; Jupyter's login signed the learner in. */
export function trustBehindProxy(token: string): Trust {
  return { hosts: BEHIND_PROXY, origins: new Set(), token, signedIn: () => true };
}
