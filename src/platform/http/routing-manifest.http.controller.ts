import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Public } from '../auth/access-decorators.js';
import type { RoutingManifest } from './routing-manifest.js';

export const ROUTING_MANIFEST = Symbol('ROUTING_MANIFEST');

/**
 * `GET /.well-known/routing-manifest`: which path prefixes belong to which module
 * (routing-manifest.ts says how they are derived and settles the special cases), for
 * the strangler gateway. Public: it names paths anyone can call, nothing more. It is
 * infrastructure, like /docs, so it stays out of the OpenAPI document.
 */
@Public()
@Controller('.well-known')
export class RoutingManifestController {
  constructor(@Inject(ROUTING_MANIFEST) private readonly manifest: RoutingManifest) {}

  @Get('routing-manifest')
  // The gateway polls it; a deploy that moves a route must be seen at its next poll.
  @Header('cache-control', 'no-cache')
  routingManifest(): RoutingManifest {
    return this.manifest;
  }
}
