import type { DynamicModule, Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';

/**
 * The routing manifest: which public path prefixes belong to which module, so the
 * strangler gateway (strangler-proxy/) can send a module's traffic to its extracted
 * service by naming the module instead of listing prefixes by hand.
 *
 * It is derived from the modules' declared controllers (the `@Controller` and route
 * metadata on each controller class a module lists), not from what this process
 * mounted: every process answers the same manifest, whichever modules it hosts (the
 * monolith with payments extracted still says which prefixes are payments').
 *
 * How a module's prefixes are derived, and the special cases, settled here:
 * - A route under `/api/v1/<segment>/…` gives the prefix `/api/v1/<segment>`: each
 *   module owns whole top-level segments of the API (../shared/DESIGN.md, "Routes"), so
 *   everything under `/api/v1/orders` (checkouts included) is ordering's, and a path
 *   no controller declares there (a 404) is answered by the module's own process.
 * - A route outside `/api/v1` gives its own path, up to its first parameter: identity's
 *   `/.well-known/jwks.json` is identity's, not all of `/.well-known`.
 * - `MONOLITH_ONLY_PREFIXES` (`/.well-known`, `/ops`, `/docs`, `/health`) stay with the
 *   process the gateway calls the monolith, whatever a route says: this manifest, the
 *   API description, the operators' event tools and the probes describe that process.
 *   A longer prefix a module lists under one of them wins over it (longest prefix,
 *   on whole segments): `/.well-known/jwks.json` goes to wherever identity runs,
 *   because the keys are identity's and its service answers them; the rest of
 *   `/.well-known` (this manifest) stays with the monolith.
 * - `/internal` (the services' RPC) is no module's and is never routed from outside.
 * - A prefix belongs to one module only: two modules claiming the same prefix, or one
 *   under another's, or a module claiming a monolith-only prefix (or a parent of one),
 *   stops the process at composition with both names, rather than routing by accident.
 * - Prefixes are lower-case (the gateway matches case-insensitively).
 */
export interface RoutingManifest {
  /** Each module's public path prefixes, e.g. ordering: ['/api/v1/orders']. */
  modules: Record<string, string[]>;
  /** Prefixes that always stay with the monolith whatever a route says. */
  monolithOnly: string[];
}

export const MONOLITH_ONLY_PREFIXES: readonly string[] = ['/.well-known', '/ops', '/docs', '/health'];

/** Never a module's, never routed from outside (the services' internal RPC). */
const INTERNAL_PREFIX = '/internal';

/** A module as the composition root knows it: its name and its Nest definition. */
export interface DeclaredModule {
  name: string;
  definition: Type | DynamicModule;
}

/** `/a/b` is `/a/b` itself or under `/a`, on whole segments. */
function isUnder(path: string, prefix: string): boolean {
  return path === prefix || prefix === '/' || path.startsWith(`${prefix}/`);
}

function asList(value: unknown): string[] {
  if (value === undefined) return [''];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

function joinPath(...parts: string[]): string {
  const segments = parts.flatMap((part) => part.split('/')).filter(Boolean);
  return `/${segments.join('/')}`;
}

/** The controllers a module declares: its class's `@Module` metadata and a dynamic module's own list. */
function controllersOf(definition: Type | DynamicModule): Type[] {
  const moduleClass = 'module' in definition ? definition.module : definition;
  const declared = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, moduleClass) as Type[] | undefined) ?? [];
  const dynamic = 'module' in definition ? (definition.controllers ?? []) : [];
  return [...declared, ...dynamic];
}

/** Every full path a controller declares (`/api/v1/orders/:id`). */
function routePathsOf(controller: Type): string[] {
  const bases = asList(Reflect.getMetadata(PATH_METADATA, controller));
  const paths: string[] = [];
  for (let prototype = controller.prototype as object | null; prototype && prototype !== Object.prototype; prototype = Object.getPrototypeOf(prototype)) {
    for (const name of Object.getOwnPropertyNames(prototype)) {
      if (name === 'constructor') continue;
      const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      for (const base of bases) for (const route of asList(Reflect.getMetadata(PATH_METADATA, handler))) paths.push(joinPath(base, route));
    }
  }
  return paths;
}

/** The prefix a route path gives its module (the rules above). */
function prefixOf(module: string, path: string): string {
  const segments = path.toLowerCase().split('/').filter(Boolean);
  if (segments[0] === 'api' && segments[1] === 'v1') {
    const owned = segments[2];
    if (owned === undefined || owned.startsWith(':') || owned.includes('*')) {
      throw new Error(`routing manifest: ${module} declares ${path}, which names no segment of its own under /api/v1`);
    }
    return `/api/v1/${owned}`;
  }
  const fixed: string[] = [];
  for (const segment of segments) {
    if (segment.startsWith(':') || segment.includes('*')) break;
    fixed.push(segment);
  }
  if (fixed.length === 0) throw new Error(`routing manifest: ${module} declares ${path}, which has no fixed prefix`);
  return `/${fixed.join('/')}`;
}

/** The manifest of these modules; throws, naming both owners, when two claim the same paths. */
export function routingManifestOf(declared: readonly DeclaredModule[]): RoutingManifest {
  const modules: Record<string, string[]> = {};
  const owners: { prefix: string; module: string }[] = [];
  for (const { name, definition } of declared) {
    const all = [...new Set(controllersOf(definition).flatMap(routePathsOf).map((path) => prefixOf(name, path)))].sort();
    // A prefix under another of the same module's adds nothing (`/api/v1/identity/me`).
    const prefixes = all.filter((prefix) => !all.some((other) => other !== prefix && isUnder(prefix, other)));
    for (const prefix of prefixes) {
      if (isUnder(prefix, INTERNAL_PREFIX)) throw new Error(`routing manifest: ${name} declares ${prefix}, under ${INTERNAL_PREFIX}, which is never routed from outside`);
      const reserved = MONOLITH_ONLY_PREFIXES.find((only) => isUnder(only, prefix));
      if (reserved) throw new Error(`routing manifest: ${name} claims ${prefix}, which would take ${reserved} from the monolith`);
      const clash = owners.find((owner) => isUnder(prefix, owner.prefix) || isUnder(owner.prefix, prefix));
      if (clash) throw new Error(`routing manifest: ${prefix} of ${name} overlaps ${clash.prefix} of ${clash.module}: a prefix belongs to one module only`);
      owners.push({ prefix, module: name });
    }
    modules[name] = prefixes;
  }
  return { modules, monolithOnly: [...MONOLITH_ONLY_PREFIXES] };
}
