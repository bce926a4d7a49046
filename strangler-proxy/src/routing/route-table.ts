import type { Logger } from 'pino';
import type { GatewayConfig, RouteConfig } from '../config/route-config.js';
import type { RoutingManifest } from '../config/routing-manifest.js';

/** A route that takes traffic: its config and the canonical prefixes it owns. */
export interface ActiveRoute {
  name: string;
  config: RouteConfig;
  /** canonical, lower-case */
  prefixes: string[];
}

/**
 * What stays with the monolith before any manifest has arrived (the monolith's own
 * list replaces it): the manifest, the API description, operators' tools and probes.
 */
const DEFAULT_MONOLITH_ONLY: readonly string[] = ['/.well-known', '/ops', '/docs', '/health'];

const INTERNAL = '/internal';

/** One prefix of the table: a route's, or (route undefined) one the monolith keeps. */
interface Entry {
  prefix: string;
  route: ActiveRoute | undefined;
}

/** `path` is `prefix` itself or under it, on whole segments (`/a/bc` is not under `/a/b`). */
function covers(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || prefix.length === 1 || path.charCodeAt(prefix.length) === 47; // '/'
}

/**
 * What each build logged, per logger: a build logs only what the previous one did not,
 * so an inactive route is reported once while it stays inactive (not on every reload
 * of the file or the manifest), and again if it recovers and then fails again.
 */
const lastLogged = new WeakMap<Logger, Set<string>>();

/**
 * Which route a request belongs to: built once per routes file and manifest, read on
 * every request. The longest prefix wins, on whole segments; the monolith's own
 * prefixes take part in that contest, so a route on `/` still leaves `/health` alone.
 */
export class RouteTable {
  private constructor(
    readonly routes: readonly ActiveRoute[],
    /** Longest prefix first: the first that covers a path is its longest. */
    private readonly entries: readonly Entry[],
  ) {}

  static build(config: GatewayConfig, manifest: RoutingManifest | undefined, logger?: Logger): RouteTable {
    const said = new Set<string>();
    const previous = logger ? lastLogged.get(logger) : undefined;
    const say = (level: 'info' | 'warn', fields: object, message: string) => {
      said.add(message);
      if (logger && !previous?.has(message)) logger[level](fields, message);
    };

    const monolithOnly = (manifest?.monolithOnly ?? DEFAULT_MONOLITH_ONLY).map(canonicalPath);
    // A module's prefix under a monolith-only one (identity's /.well-known/jwks.json) is
    // that module's, by the monolith's own word; any other route prefix there is not.
    const claimed = manifest ? Object.values(manifest.modules).flat().map(canonicalPath) : [];
    const exempt = (prefix: string) =>
      claimed.some((owned) => covers(owned, prefix) && monolithOnly.some((only) => owned !== only && covers(only, owned)));

    const routes: ActiveRoute[] = [];
    const entries: Entry[] = monolithOnly.map((prefix) => ({ prefix, route: undefined }));
    const owner = new Map<string, string>();
    for (const route of config.routes) {
      const fields = { route: route.name, module: route.module };
      let source = route.prefixes;
      if (route.module !== undefined) {
        source = manifest?.modules[route.module];
        if (!manifest) {
          say('warn', fields, `route ${route.name} is inactive: it names module ${route.module}, and no routing manifest has arrived from the monolith yet; its traffic stays with the monolith`);
          continue;
        }
        if (!source) {
          say('warn', { ...fields, modules: Object.keys(manifest.modules) }, `route ${route.name} is inactive: the routing manifest names no module ${route.module}; its traffic stays with the monolith`);
          continue;
        }
      }
      const prefixes: string[] = [];
      for (const prefix of [...new Set((source ?? []).map(canonicalPath))]) {
        if (covers(INTERNAL, prefix)) {
          say('warn', { ...fields, prefix }, `route ${route.name}: ${prefix} is never forwarded (internal); ignored`);
        } else if (monolithOnly.some((only) => covers(only, prefix)) && !exempt(prefix)) {
          say('warn', { ...fields, prefix }, `route ${route.name}: ${prefix} always stays with the monolith; ignored`);
        } else if (owner.has(prefix)) {
          say('warn', { ...fields, prefix }, `route ${route.name}: ${prefix} is already route ${owner.get(prefix)}'s; ignored`);
        } else {
          owner.set(prefix, route.name);
          prefixes.push(prefix);
        }
      }
      if (prefixes.length === 0) {
        say('warn', fields, `route ${route.name} is inactive: it has no prefix left to route; its traffic stays with the monolith`);
        continue;
      }
      const active: ActiveRoute = { name: route.name, config: route, prefixes };
      routes.push(active);
      for (const prefix of prefixes) entries.push({ prefix, route: active });
      say('info', { ...fields, prefixes }, `route ${route.name} routes ${prefixes.join(', ')}`);
    }
    if (logger) lastLogged.set(logger, said);
    entries.sort((a, b) => b.prefix.length - a.prefix.length);
    return new RouteTable(routes, entries);
  }

  /** The route a canonical path belongs to; undefined: the monolith. Longest prefix wins, on whole segments. */
  match(canonicalPath: string): ActiveRoute | undefined {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (covers(entry.prefix, canonicalPath)) return entry.route;
    }
    return undefined;
  }
}

const SLASH = 47;
const DOT = 46;
const PERCENT = 37;
const QUESTION = 63;
const HASH = 35;

/** The value of a hex digit, or -1. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~"; their encoded forms mean the same path. */
function isUnreserved(code: number): boolean {
  return (code >= 48 && code <= 57) || ((code | 0x20) >= 97 && (code | 0x20) <= 122) || code === 45 || code === 46 || code === 95 || code === 126;
}

/**
 * Path only (no query), lower-cased, repeated slashes collapsed, trailing slash removed
 * ('/' stays), percent-encoded unreserved characters decoded, so `/API/v1//Orders/` and
 * `/api/v1/orders` are one route. Dot segments (`/a/../b`, also encoded as `%2e`) are
 * resolved too: an upstream that resolves them must not be reached at a path the
 * gateway judged as another (`/api/v1/x/../../internal/rpc`). Never throws on hostile
 * input: nothing here decodes with an API that throws.
 *
 * On the hot path: a path that is already canonical (the usual case) is scanned once
 * and returned as a slice of the URL, with no other allocation.
 */
export function canonicalPath(rawUrl: string): string {
  let start = 0;
  if (rawUrl.charCodeAt(0) !== SLASH) {
    // Absolute form (`http://host/path`, as sent to a proxy): the path after the authority.
    const scheme = rawUrl.indexOf('://');
    if (scheme > 0 && /^[a-z][a-z0-9+.-]*$/i.test(rawUrl.slice(0, scheme))) {
      const slash = rawUrl.indexOf('/', scheme + 3);
      const query = rawUrl.indexOf('?', scheme + 3);
      if (slash < 0 || (query >= 0 && query < slash)) return '/';
      start = slash;
    } else {
      return slowCanonicalPath(`/${rawUrl}`, 0);
    }
  }
  let end = rawUrl.length;
  let previous = 0;
  for (let i = start; i < end; i++) {
    const code = rawUrl.charCodeAt(i);
    if (code === QUESTION || code === HASH) {
      end = i;
      break;
    }
    if ((code >= 65 && code <= 90) || code === PERCENT || (code === SLASH && previous === SLASH) || (code === DOT && previous === SLASH)) {
      return slowCanonicalPath(rawUrl, start);
    }
    previous = code;
  }
  if (previous === SLASH && end - start > 1) return slowCanonicalPath(rawUrl, start);
  return start === 0 && end === rawUrl.length ? rawUrl : rawUrl.slice(start, end);
}

/** The general case of canonicalPath: decode, lower-case, split into segments, resolve dots. */
function slowCanonicalPath(rawUrl: string, start: number): string {
  let decoded = '';
  for (let i = start; i < rawUrl.length; i++) {
    const code = rawUrl.charCodeAt(i);
    if (code === QUESTION || code === HASH) break;
    if (code === PERCENT && i + 2 < rawUrl.length) {
      const high = hexValue(rawUrl.charCodeAt(i + 1));
      const low = hexValue(rawUrl.charCodeAt(i + 2));
      if (high >= 0 && low >= 0 && isUnreserved(high * 16 + low)) {
        decoded += String.fromCharCode(high * 16 + low);
        i += 2;
        continue;
      }
    }
    decoded += rawUrl[i];
  }
  const segments: string[] = [];
  for (const segment of decoded.toLowerCase().split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

/**
 * `/internal` and everything under it: never forwarded. Must catch case and encoding
 * variants (`/Internal/rpc`, `/%69nternal/rpc`, `//internal/rpc`): the path is made
 * canonical again here (free for a canonical one), so a caller passing a raw path is
 * safe too. `/internal;x` and `/internal%2f…` count as well: some servers strip
 * parameters or decode encoded slashes before routing; `/internals` does not.
 */
export function isInternalPath(canonical: string): boolean {
  const path = canonicalPath(canonical);
  if (!path.startsWith(INTERNAL)) return false;
  if (path.length === INTERNAL.length) return true;
  const next = path.charCodeAt(INTERNAL.length);
  return next === SLASH || next === PERCENT || next === 59 /* ; */ || next === 92; /* \ */
}
