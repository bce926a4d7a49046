import { createRequire } from 'node:module';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { Controller, Get, Header, NotFoundException, Param, Res, type OnApplicationBootstrap } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Public } from '../auth/access-decorators.js';
import { buildOpenApiDocument } from './openapi-document.js';

const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

/**
 * Swagger UI's start-up, served as a file of its own: the Content-Security-Policy
 * (security-headers.ts) allows scripts from this origin only, never inline ones.
 */
const INIT_SCRIPT = "window.ui = SwaggerUIBundle({ url: '/docs/openapi.json', dom_id: '#ui' });\n";
const INIT_SCRIPT_FILE = 'swagger-init.js';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Modular shop API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/${INIT_SCRIPT_FILE}"></script>
</body></html>`;

/**
 * The OpenAPI document and a Swagger UI served from the installed package (no CDN).
 * The document is built once all modules are up, so a route that breaks the builder's
 * rules (a duplicate operationId, a success status its @HttpCode contradicts) stops
 * the application from starting, in every spec and every deploy, not at first read.
 */
@Public()
@Controller('docs')
export class DocsController implements OnApplicationBootstrap {
  private document: object | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    this.document = buildOpenApiDocument(this.discovery, this.scanner, this.reflector);
  }

  @Get('openapi.json')
  openApi(): object {
    this.document ??= buildOpenApiDocument(this.discovery, this.scanner, this.reflector);
    return this.document;
  }

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Get('assets/:file')
  async asset(@Param('file') file: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer | string> {
    if (file === INIT_SCRIPT_FILE) {
      void reply.header('cache-control', 'public, max-age=86400').type('application/javascript; charset=utf-8');
      return INIT_SCRIPT;
    }
    const contentType = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!contentType) throw new NotFoundException(`No such asset: ${file}`);
    void reply.header('cache-control', 'public, max-age=86400').type(contentType);
    return readFile(path.join(swaggerUiDir, file));
  }
}
