/**
 * Signed read-only links: a URL that answers a plain GET without a key header, for exactly one
 * query of one client, until it expires (README "Signed links"). Signing (the `link` command of the
 * CLI) and verification (the app's authentication) share the one definition of what is signed.
 *
 * A link is `<route>?<query>&client=<id>&expires=<unix seconds>&link_id=<id>&sig=<signature>`:
 * the endpoint's own query (always with its `format`), then the link's parameters, the signature
 * last. The signature is HMAC-SHA256 under `links.secret` of the route and every parameter before
 * `sig` in their order, each name and value percent-encoded one canonical way (so a tool that
 * writes `%2C` for `,` or `%20` for `+` still matches, and nothing else does): another value, an
 * added, removed or reordered parameter, another route or another secret fail the comparison,
 * which is constant-time. Only a link whose signature holds is told it is revoked or expired.
 *
 * The signature is a credential: it is redacted from logs by the logger's key rule (`sig` is a
 * secret-like name, in a field or in a URL's query), never echoed in an answer, and the query
 * handed to the endpoint no longer holds it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LINK_ID_PATTERN, type LinksConfig, type ResolvedClient } from '../config';
import { HISTORY_ROUTE } from '../gateway/history';
import { ANALYTICS_ROUTE } from './hot-path';

/** The routes a link may point at. */
export const LINK_ROUTES: readonly string[] = [ANALYTICS_ROUTE, HISTORY_ROUTE];
/** The signature's parameter: always the last one of a link. */
export const SIGNATURE_PARAMETER = 'sig';
/** The link's own parameters (signed, and taken out of the query the endpoint reads). */
export const LINK_PARAMETERS = ['client', 'expires', 'link_id', SIGNATURE_PARAMETER] as const;
/** The longest a link may live. */
export const MAX_LINK_DAYS = 3650;
/** Domain separation: the same secret under another use never yields a valid link signature. */
const CONTEXT = 'outreach-gateway signed link v1';
const SIGNATURE_TEXT = /^[A-Za-z0-9_-]{43}$/;
const EXPIRES_TEXT = /^[1-9]\d{0,11}$/;

export type QueryPair = readonly [name: string, value: string];
/** A query as Express's simple parser gives it: a repeated name holds a list. */
export type QueryObject = Record<string, string | string[]>;

/** One canonical percent-encoding: `encodeURIComponent`, with `,` and `:` (list and key separators) left readable. */
function encodePart(text: string): string {
  return encodeURIComponent(text).replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

/** `name=value&…` in the canonical encoding: the text that is signed, and the text a link carries. */
export function canonicalQuery(pairs: readonly QueryPair[]): string {
  return pairs.map(([name, value]) => `${encodePart(name)}=${encodePart(value)}`).join('&');
}

function signature(secret: string, route: string, query: string): Buffer {
  return createHmac('sha256', secret).update(`${CONTEXT}\n${route}\n${query}`).digest();
}

/** Pairs into the object the endpoints' parsers read (a repeated name becomes a list, as Express gives it). */
export function queryObject(pairs: readonly QueryPair[]): QueryObject {
  const out: QueryObject = {};
  for (const [name, value] of pairs) {
    const known = Object.prototype.hasOwnProperty.call(out, name) ? out[name] : undefined;
    out[name] = known === undefined ? value : [...(Array.isArray(known) ? known : [known]), value];
  }
  return out;
}

export interface LinkRequest {
  route: string;
  clientId: string;
  /** The endpoint's query, `format` included, in the order it is to appear. */
  query: readonly QueryPair[];
  /** Epoch seconds. */
  expires: number;
  /** Random unless given (tests). */
  linkId?: string;
}

/** A new random link id (72 bits, 12 characters). */
export function newLinkId(): string {
  return randomBytes(9).toString('base64url');
}

/** The signed path and query (`/v1/…?…&sig=…`) of a link; the caller puts the gateway's base URL in front. */
export function signLink(secret: string, request: LinkRequest): { path: string; linkId: string } {
  const linkId = request.linkId ?? newLinkId();
  if (!LINK_ROUTES.includes(request.route)) throw new Error(`signed links are for ${LINK_ROUTES.join(' and ')}`);
  if (!LINK_ID_PATTERN.test(linkId)) throw new Error('a link id is 6-64 letters, digits, "-" or "_"');
  const reserved = request.query.find(([name]) => (LINK_PARAMETERS as readonly string[]).includes(name));
  if (reserved) throw new Error(`the query must not hold "${reserved[0]}": the link adds it`);
  const query = canonicalQuery([...request.query, ['client', request.clientId], ['expires', String(request.expires)], ['link_id', linkId]]);
  const sig = signature(secret, request.route, query).toString('base64url');
  return { path: `${request.route}?${query}&${SIGNATURE_PARAMETER}=${sig}`, linkId };
}

/** Whether a request's (parsed) query is a signed link's: it carries `sig`. */
export function isSignedLink(query: Readonly<Record<string, unknown>>): boolean {
  return Object.prototype.hasOwnProperty.call(query, SIGNATURE_PARAMETER);
}

export type LinkOutcome =
  | { ok: true; client: ResolvedClient; linkId: string; expires: number; query: QueryObject }
  | { ok: false; detail: string };

const refused = (detail: string): LinkOutcome => ({ ok: false, detail });
const ALTERED = "the link's signature does not match it: it was changed (a parameter added, removed, reordered or edited) or the gateway's link secret was rotated; ask for a new link";

export class LinkVerifier {
  private readonly clients: ReadonlyMap<string, ResolvedClient>;
  private readonly revoked: ReadonlySet<string>;

  constructor(
    private readonly links: LinksConfig | undefined,
    clients: readonly ResolvedClient[],
    private readonly now: () => number = Date.now,
  ) {
    this.clients = new Map(clients.map((client) => [client.id, client]));
    this.revoked = new Set(links?.revoked ?? []);
  }

  /**
   * Checks a link: `route` is the request's path, `url` its URL as received (path and query).
   * The signature first, compared in constant time; only then revocation, expiry and the client.
   */
  verify(route: string, url: string): LinkOutcome {
    if (!this.links) return refused('signed links are not enabled on this gateway (no links.secret in its config)');
    if (!LINK_ROUTES.includes(route)) return refused(`signed links answer only ${LINK_ROUTES.join(' and ')}`);
    const at = url.indexOf('?');
    let pairs: QueryPair[];
    let signed: string;
    try {
      pairs = [...new URLSearchParams(at < 0 ? '' : url.slice(at + 1))];
      signed = canonicalQuery(pairs.slice(0, -1));
    } catch {
      return refused(ALTERED);
    }
    const last = pairs.at(-1);
    if (last?.[0] !== SIGNATURE_PARAMETER || pairs.filter(([name]) => name === SIGNATURE_PARAMETER).length !== 1 || !SIGNATURE_TEXT.test(last[1])) {
      return refused(`a signed link ends with one ${SIGNATURE_PARAMETER}= of 43 characters; ask for a new link`);
    }
    // The text is compared, not the bytes it decodes to: the last of 43 characters carries two
    // unused bits, so four spellings decode alike and only the one the gateway wrote is the link.
    const presented = Buffer.from(last[1], 'latin1');
    const expected = Buffer.from(signature(this.links.secret, route, signed).toString('base64url'), 'latin1');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return refused(ALTERED);

    // Signed by this gateway: the link's parameters are as the CLI wrote them.
    const own = new Map<string, string>();
    const query: QueryPair[] = [];
    for (const pair of pairs.slice(0, -1)) {
      if ((LINK_PARAMETERS as readonly string[]).includes(pair[0])) {
        if (own.has(pair[0])) return refused(`a signed link holds ${pair[0]} once`);
        own.set(pair[0], pair[1]);
      } else {
        query.push(pair);
      }
    }
    const clientId = own.get('client');
    const linkId = own.get('link_id');
    const expiresText = own.get('expires');
    if (clientId === undefined || linkId === undefined || expiresText === undefined || !EXPIRES_TEXT.test(expiresText) || !query.some(([name]) => name === 'format')) {
      return refused('a signed link holds client, expires, link_id and format; ask for a new link');
    }
    if (this.revoked.has(linkId)) return refused(`link ${linkId} has been revoked (links.revoked); ask for a new link`);
    const expires = Number(expiresText);
    if (expires * 1000 <= this.now()) return refused(`this link expired at ${new Date(expires * 1000).toISOString()}; ask for a new link`);
    const client = this.clients.get(clientId);
    if (!client) return refused("the link's client is no longer configured on this gateway");
    return { ok: true, client, linkId, expires, query: queryObject(query) };
  }
}

/** `90d`, `12h`, `30m`, `2w` or a date or instant (`2027-03-31`, `2027-03-31T12:00:00Z`) into epoch seconds; undefined when unreadable or out of range. */
export function parseExpiry(text: string, now: number): number | undefined {
  const relative = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  let at: number;
  if (relative) {
    const unit = { m: 60, h: 3600, d: 86_400, w: 604_800 }[relative[2] as 'm' | 'h' | 'd' | 'w'];
    at = now + Number(relative[1]) * unit * 1000;
  } else if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(text.trim())) {
    at = Date.parse(text.trim());
  } else {
    return undefined;
  }
  if (!Number.isFinite(at) || at <= now || at > now + MAX_LINK_DAYS * 86_400_000) return undefined;
  return Math.floor(at / 1000);
}
