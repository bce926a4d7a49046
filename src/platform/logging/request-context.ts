import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a unit of work carries through every await it causes: an HTTP request, or the
 * delivery of an event. Logs read it, and events published meanwhile take their
 * correlation, causation and trace ids from it.
 */
export interface RequestContext {
  /** The request id (or, while handling an event, the event id). */
  requestId: string;
  /** Shared by everything one original request caused, across events and modules. */
  correlationId: string;
  /** What directly caused the work: the request id, or the event being handled. */
  causationId: string;
  /** W3C trace context, when the caller sent one. */
  traceparent: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const requestContext = {
  run<T>(context: RequestContext, work: () => T): T {
    return storage.run(context, work);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
  /** Runs `work` outside any request's context: for work done on behalf of many. */
  outside<T>(work: () => T): T {
    return storage.exit(work);
  },
};
