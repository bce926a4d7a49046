import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { AppConfig } from '../config/app-config.js';

/**
 * The usual protective response headers (helmet), with a Content-Security-Policy the
 * Swagger UI page at /docs works under: scripts and styles from this origin only (its
 * start-up script is a file, not inline), images also as data: URLs (its icons).
 * `upgrade-insecure-requests` is left out: on a plain-HTTP deployment it would send the
 * browser to https:// URLs that do not exist.
 */
const HELMET: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      scriptSrcAttr: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
};

/**
 * helmet's headers, worked out once. They are the same for every answer (no nonces),
 * yet @fastify/helmet builds a helmet middleware, and parses the policy, for every
 * request: about 5% of the CPU of a product read in the benchmark. So helmet is run
 * once against a response that only records, and its headers are set as they are.
 */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
    removeHeader: () => undefined,
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

/** Headers a browser calling from an allowed origin may send, and may read back. */
const CORS_REQUEST_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'x-correlation-id', 'traceparent'];
const CORS_EXPOSED_HEADERS = ['location', 'retry-after', 'x-request-id'];

export async function registerSecurityHeaders(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const headers = helmetHeaders(HELMET);
  app.getHttpAdapter().getInstance().addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
  // Off by default: without a configured origin no CORS header is sent, and browsers
  // keep other sites' pages from calling the API.
  if (config.corsOrigins.length) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: CORS_REQUEST_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      maxAge: 600,
    });
  }
}
