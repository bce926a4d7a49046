/**
 * Integration events: facts a module publishes for others to react to, declared in
 * the publisher's contract.ts with a stable wire name and a version. The payload is
 * plain JSON; everything else (ids, time, correlation, trace) travels in the envelope.
 */
export interface IntegrationEventType<P> {
  readonly module: string;
  readonly name: string;
  readonly version: number;
  /** `<module>.<Name>`: what is stored in the outbox and put on the wire. */
  readonly wireName: string;
  /** Phantom field carrying the payload type; never set at run time. */
  readonly __payload?: P;
}

export interface EventEnvelope<P = unknown> {
  /** Unique per event; consumers deduplicate on it (inbox). */
  id: string;
  type: string;
  version: number;
  /** The publishing module. */
  source: string;
  occurredAt: string;
  /** Shared by everything one request caused. */
  correlationId: string;
  /** The id of the request or event that directly caused this one. */
  causationId: string;
  /** W3C trace context of the request that caused it, when there was one. */
  traceparent: string | null;
  payload: P;
}

const declared = new Map<string, IntegrationEventType<unknown>>();

export function defineIntegrationEvent<P>(module: string, name: string, version = 1): IntegrationEventType<P> {
  if (!/^[a-z][a-z0-9_]*$/.test(module)) throw new Error(`event module "${module}" must be lower_snake_case`);
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error(`event name "${name}" must be PascalCase`);
  if (!Number.isInteger(version) || version < 1) throw new Error(`event version must be a positive integer`);
  const wireName = `${module}.${name}`;
  if (declared.has(wireName)) throw new Error(`integration event ${wireName} is declared twice`);
  const type: IntegrationEventType<P> = Object.freeze({ module, name, version, wireName });
  declared.set(wireName, type);
  return type;
}
