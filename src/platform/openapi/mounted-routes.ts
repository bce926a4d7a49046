import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import type { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { IS_PUBLIC, REQUIRED_ROLES } from '../auth/access-decorators.js';
import { routeDocsOf, type ApiRouteOptions, type RouteDocs } from './route-docs.js';

/** One route Nest mounted with an @ApiRoute, and what the platform knows about it. */
export interface DocumentedRoute {
  /** The controller's class name, e.g. `PlaceOrderController`. */
  controller: string;
  handler: string;
  method: 'get' | 'put' | 'post' | 'delete' | 'patch' | 'options' | 'head';
  /** OpenAPI form: `/api/v1/orders/{id}`. */
  path: string;
  /** What Nest answers on success unless the handler sets another: @HttpCode, or 201 for POST and 200 otherwise. */
  nestStatus: number;
  isPublic: boolean;
  roles: string[];
  inputs: RouteDocs['inputs'];
  options: ApiRouteOptions;
}

const OPENAPI_METHODS = new Set<string>(['get', 'put', 'post', 'delete', 'patch', 'options', 'head']);

function joinPath(...parts: (string | undefined)[]): string {
  const joined = parts
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  return `/${joined}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The routes of every controller that carry @ApiRoute; the others (the docs themselves) stay out. */
export function documentedRoutes(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector): DocumentedRoute[] {
  const routes: DocumentedRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as object | undefined;
    const type = wrapper.metatype as Function | undefined;
    if (!instance || !type) continue;
    const prototype = Object.getPrototypeOf(instance) as object;
    const base = Reflect.getMetadata(PATH_METADATA, type) as string | undefined;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = (prototype as Record<string, Function>)[name];
      if (!handler) continue;
      const route = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (route === undefined || method === undefined) continue;
      const docs = routeDocsOf(prototype, name);
      if (!docs?.route) continue;
      const verb = RequestMethod[method].toLowerCase() as DocumentedRoute['method'];
      if (!OPENAPI_METHODS.has(verb)) throw new Error(`${type.name}.${name}: OpenAPI cannot describe a ${verb.toUpperCase()} route`);
      routes.push({
        controller: type.name,
        handler: name,
        method: verb,
        path: joinPath(base, route),
        nestStatus: (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (verb === 'post' ? 201 : 200),
        isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, type]) ?? false,
        roles: reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, [handler, type]) ?? [],
        inputs: docs.inputs,
        options: docs.route,
      });
    }
  }
  return routes;
}
