import type { IncomingHttpHeaders } from 'node:http';

/** The monolith's answer to a shadowed read, as the gateway core read it while streaming it to the client. */
export interface PrimaryAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The monolith's body; undefined when it was larger than maxBodyBytes (then the comparison is skipped and counted). */
  body: Buffer | undefined;
}

/** The client's read, to be sent again to the extracted service (and, when learning noise, to the monolith). */
export interface MirroredRequest {
  method: 'GET' | 'HEAD';
  /** Path and query as the client sent them. */
  url: string;
  /**
   * The headers as forwarded upstream (hop-by-hop already removed; includes authorization, x-request-id).
   * Kept by reference until the mirror is sent, in the background: do not change the object afterwards.
   */
  headers: Record<string, string | string[]>;
}

/** Where mirrors go; asked at each comparison, so health and instance rotation stay the core's concern. */
export interface ShadowTargets {
  /** Base URL of an extracted instance to mirror to now (undefined: none healthy: count as skipped). */
  extracted(): string | undefined;
  /** Base URL of a monolith instance, for the noise-learning second call. */
  monolith(): string | undefined;
}

/** One mismatch, as kept for operators: nothing from the headers, no query string (it may hold secrets). */
export interface MismatchSample {
  at: string;
  method: string;
  /** The path only. */
  url: string;
  monolith: { status: number };
  extracted: { status: number };
  /** JSON paths that differ, e.g. 'body.items.0.price', or 'status', or 'body' for non-JSON bodies. */
  differences: string[];
}

export interface ShadowStats {
  compared: number;
  matched: number;
  mismatched: number;
  /** Not compared: an answer over maxBodyBytes, too many mirrors in flight, no healthy target, the monolith's answer never read. */
  skipped: number;
  /** The mirror failed (refused, reset, timed out). */
  errors: number;
  /** Fields learned to be noise: they differed between two answers of the monolith to the same request. */
  noise: string[];
  samples: MismatchSample[];
}

/** What became of one call to compare (for metrics). */
export type ShadowOutcome = 'matched' | 'mismatched' | 'skipped' | 'error';
