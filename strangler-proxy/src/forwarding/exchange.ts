import type { MirroredRequest, ShadowComparer } from '../shadow/shadow-comparer.js';
import type { ActiveRoute } from '../routing/route-table.js';
import type { Side } from '../routing/sticky-split.js';
import type { Instance, UpstreamGroup } from '../upstreams/upstream-group.js';

/** One request's journey through the gateway: where it was sent, and what came of it. */
export interface Exchange {
  requestId: string;
  /** The route it matched; undefined: the monolith's traffic. */
  route: ActiveRoute | undefined;
  /** The route's name, or 'monolith' (metrics, limits, logs). */
  routeName: string;
  /** Where the split (or the override) sent it first. */
  chosen: Side;
  /** Where it is being answered from now (the monolith after a fallback). */
  side: Side;
  group: UpstreamGroup;
  instance: Instance;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /**
   * May be sent again once if its upstream gives no answer: idempotent (GET, HEAD, or
   * an Idempotency-Key), and somewhere to send it (the monolith, for a route with
   * fallback; another instance of the same upstream otherwise).
   */
  replayable: boolean;
  /** It has been sent again already: never twice. */
  retried: boolean;
  /** It was answered by the monolith instead of the extracted side it was meant for. */
  fellBack: boolean;
  /** The request's body, read into memory because it may be replayed (see gateway.ts); undefined: streamed. */
  body: Buffer | undefined;
  /** The upstream's socket timed out (504 rather than 502). */
  timedOut: boolean;
  /** Set when the monolith's answer to a shadowed read must be compared. */
  shadow: ShadowComparer | undefined;
  shadowMaxBytes: number;
  /** The request as forwarded, for the mirror. */
  mirror: MirroredRequest | undefined;
  /** Its outcome has been given to the rollback guard (once per exchange). */
  observed: boolean;
  /** performance.now() when the request had been sent upstream whole, and when the answer had been read whole. */
  requestSentAt: number | undefined;
  answeredAt: number | undefined;
  /** The client asked for its connection to be closed after the answer. */
  clientWantsClose: boolean;
}

/**
 * A new exchange: what the caller decided, and everything else not yet happened. Built as
 * one literal of a fixed shape (no spread): one per request, on the hot path.
 */
export function newExchange(
  decided: Pick<Exchange, 'requestId' | 'route' | 'chosen' | 'side' | 'group' | 'instance' | 'startedAt'> &
    Partial<Pick<Exchange, 'replayable' | 'fellBack' | 'shadow' | 'shadowMaxBytes' | 'clientWantsClose'>>,
): Exchange {
  return {
    requestId: decided.requestId,
    route: decided.route,
    routeName: decided.route?.name ?? 'monolith',
    chosen: decided.chosen,
    side: decided.side,
    group: decided.group,
    instance: decided.instance,
    startedAt: decided.startedAt,
    replayable: decided.replayable ?? false,
    retried: false,
    fellBack: decided.fellBack ?? false,
    body: undefined,
    timedOut: false,
    shadow: decided.shadow,
    shadowMaxBytes: decided.shadowMaxBytes ?? 0,
    mirror: undefined,
    observed: false,
    requestSentAt: undefined,
    answeredAt: undefined,
    clientWantsClose: decided.clientWantsClose ?? false,
  };
}
