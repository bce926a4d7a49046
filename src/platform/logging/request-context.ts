import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a request carries through every await it causes: the request id today,
 * correlation and trace ids later. Logs read it, so every line a request causes can
 * be found by its id.
 */
export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const requestContext = {
  run<T>(context: RequestContext, work: () => T): T {
    return storage.run(context, work);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
};
