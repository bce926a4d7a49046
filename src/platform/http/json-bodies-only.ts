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
  fastify.removeAllContentTypeParsers();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  // Nothing decodes a compressed body: a gzip body would be read as if it were JSON.
  // Checked here, where a body is about to be parsed, not in a hook every request pays for.
  const parse: typeof parseJson = (request, body, done) => {
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      done(Object.assign(new Error(`Content-Encoding ${encoding} is not supported`), { statusCode: 415, code: 'SHOP_ERR_CONTENT_ENCODING' }), undefined);
      return;
    }
    parseJson(request, body, done);
  };
  for (const type of JSON_TYPES) fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit }, parse);
}
