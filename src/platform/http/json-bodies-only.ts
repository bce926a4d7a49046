import type { FastifyInstance } from 'fastify';

/** `application/json`, and the structured `+json` types (`application/merge-patch+json`). */
// Fastify matches a RegExp against the whole header, parameters included (`; charset=utf-8`).
const JSON_TYPES: (string | RegExp)[] = ['application/json', /^application\/[a-z0-9.+-]+\+json\s*(;.*)?$/i];

/**
 * The API speaks JSON only. Fastify also parses `text/plain`, and Nest adds
 * `application/x-www-form-urlencoded`: such a body would be parsed and then fail
 * validation with a confusing 400. With only JSON parsers left, Fastify answers any
 * other body with 415 (FST_ERR_CTP_INVALID_MEDIA_TYPE), which the edge turns into an
 * `UNSUPPORTED_MEDIA_TYPE` problem.
 */
export function acceptJsonBodiesOnly(fastify: FastifyInstance, bodyLimit: number): void {
  // Nothing decodes a compressed body: a gzip body would be read as if it were JSON.
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding'];
    const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
    if (hasBody && encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw Object.assign(new Error(`Content-Encoding ${encoding} is not supported`), { statusCode: 415, code: 'SHOP_ERR_CONTENT_ENCODING' });
    }
    return payload;
  });
  fastify.removeAllContentTypeParsers();
  const parse = fastify.getDefaultJsonParser('error', 'error');
  for (const type of JSON_TYPES) fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit }, parse);
}
