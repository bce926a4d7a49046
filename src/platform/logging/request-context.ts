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
  /**
   * The end user the work is done for, once known (the access guard sets it; an
   * internal call carries it, signed with the service key). Absent for work of the
   * system itself, such as a saga resumed after a restart.
   */
  endUser?: EndUser;
  /** When the original caller stops waiting (epoch ms): contract calls made meanwhile get no longer. */
  deadlineAt?: number;
}

export interface EndUser {
  userId: string;
  email: string;
  roles: string[];
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
