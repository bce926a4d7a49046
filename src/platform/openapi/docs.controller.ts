import { createRequire } from 'node:module';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
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

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Modular shop API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/docs/openapi.json', dom_id: '#ui' });</script>
</body></html>`;

/** The OpenAPI document and a Swagger UI served from the installed package (no CDN). */
@Public()
@Controller('docs')
export class DocsController {
  private document: object | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

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
  async asset(@Param('file') file: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const contentType = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!contentType) throw new NotFoundException(`No such asset: ${file}`);
    void reply.header('cache-control', 'public, max-age=86400').type(contentType);
    return readFile(path.join(swaggerUiDir, file));
  }
}
