import type { IncomingHttpHeaders } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, type ZlibOptions } from 'node:zlib';

/**
 * A body as its sender meant it, before content coding. Mirrors carry the client's
 * `accept-encoding`, so one side may answer gzip where the other answers plain bytes:
 * compared as sent, the same JSON would look different. Decoded on zlib's thread pool (not
 * the event loop the proxy forwards on), and never to more than `maxBytes`.
 */
export async function decodedBody(headers: IncomingHttpHeaders, body: Buffer, maxBytes: number): Promise<Buffer | undefined> {
  const coding = headers['content-encoding']?.trim().toLowerCase();
  if (coding === undefined || coding === '' || coding === 'identity') return body;
  const decode = DECODERS[coding];
  // A coding we cannot undo (zstd, or several stacked): not comparable.
  if (decode === undefined) return undefined;
  try {
    return await decode(body, { maxOutputLength: maxBytes });
  } catch {
    // Corrupt, or larger than maxBytes once decoded.
    return undefined;
  }
}

type Decoder = (body: Buffer, options: ZlibOptions) => Promise<Buffer>;

const DECODERS: Record<string, Decoder | undefined> = {
  gzip: promisify(gunzip) as Decoder,
  'x-gzip': promisify(gunzip) as Decoder,
  deflate: promisify(inflate) as Decoder,
  br: promisify(brotliDecompress) as Decoder,
};
