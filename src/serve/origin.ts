/**
 * Who may talk to the server from a browser (issue 17, defect 7). A web page can make a browser
 * send a `text/plain` POST to any address without asking (a CORS "simple request"), and a DNS
 * rebinding page can make its own domain resolve to 127.0.0.1; the server's answers:
 * - the API takes only `application/json` bodies (a JSON POST from another origin needs a
 *   preflight, which fails unless `--cors` allows that origin);
 * - the Host header must name the bound address, a loopback name, an IP literal when bound to all
 *   interfaces, or an `--allowed-hosts` entry (as Vite and webpack-dev-server check it);
 * - a request carrying an Origin that is neither the server's own nor the `--cors` origin is refused.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The checks' settings. */
export interface OriginPolicy {
  /** The bound interface (127.0.0.1, 0.0.0.0, a name). */
  host: string;
  /** Extra Host names accepted; `*` accepts any. */
  allowedHosts: readonly string[];
  /** The one origin CORS answers for (`*`: any), or undefined: CORS off. */
  cors: string | undefined;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);
const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** The hostname of a Host header value (`[::1]:8000` -> `::1`), lower-cased. */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? h.length : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/** True when the request's Host header may be served. */
export function hostAllowed(req: IncomingMessage, policy: OriginPolicy): boolean {
  const header = req.headers.host;
  if (header === undefined) return true; // HTTP/1.0 without Host: no browser sends that
  if (policy.allowedHosts.includes('*')) return true;
  const name = hostnameOf(header);
  if (LOOPBACK.has(name) || name.endsWith('.localhost')) return true;
  if (name === hostnameOf(policy.host)) return true;
  if (WILDCARD.has(policy.host) && isIP(name) !== 0) return true;
  return policy.allowedHosts.some((h) => hostnameOf(h) === name);
}

/** The request's Origin when it is a foreign one CORS does not allow; undefined when fine. */
export function foreignOrigin(req: IncomingMessage, policy: OriginPolicy): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  if (corsOrigin(req, policy) !== undefined) return undefined;
  try {
    if (new URL(origin).host === (req.headers.host ?? '').toLowerCase()) return undefined; // same origin
  } catch {
    // 'null' or garbage: foreign
  }
  return origin;
}

/** The Access-Control-Allow-Origin value for this request, or undefined (CORS off or another origin). */
export function corsOrigin(req: IncomingMessage, policy: OriginPolicy): string | undefined {
  const origin = req.headers.origin;
  if (policy.cors === undefined || origin === undefined) return undefined;
  if (policy.cors === '*') return '*';
  return origin === policy.cors ? origin : undefined;
}

/** True when the body's Content-Type is JSON (`application/json`, any parameters). */
export function isJsonContentType(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json';
}
