import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Components } from './components.js';
import { errorResponsesOf } from './error-responses.js';
import type { DocumentedRoute } from './mounted-routes.js';
import { operationIdsOf } from './operation-ids.js';

/** A route as documentedRoutes() reports it; the rules read nothing else. */
function route(overrides: Partial<DocumentedRoute> = {}): DocumentedRoute {
  return {
    controller: 'PlaceOrderController',
    handler: 'place',
    method: 'post',
    path: '/api/v1/orders',
    nestStatus: 202,
    isPublic: false,
    roles: [],
    inputs: {},
    options: { summary: 'Place an order' },
    ...overrides,
  };
}

const statusesOf = (r: DocumentedRoute, successes = [r.nestStatus]) =>
  Object.keys(errorResponsesOf(r, successes, new Components()));

describe('operationIds', () => {
  it("should name a use case's route after its controller", () => {
    expect(operationIdsOf([route(), route({ controller: 'LogInController', handler: 'logIn' })])).toEqual(['placeOrder', 'logIn']);
  });

  it('should take the name a route declares', () => {
    expect(operationIdsOf([route({ options: { summary: 's', operationId: 'getJwks' } })])).toEqual(['getJwks']);
  });

  it('should refuse a controller of several routes that does not name them', () => {
    const health = { controller: 'HealthController' };
    expect(() => operationIdsOf([route({ ...health, handler: 'live' }), route({ ...health, handler: 'ready' })])).toThrow(
      /HealthController\.live .* needs an operationId/,
    );
  });

  it('should refuse a name used twice, and one that is not camelCase', () => {
    const named = (operationId: string, handler: string) => route({ handler, options: { summary: 's', operationId } });
    expect(() => operationIdsOf([named('placeOrder', 'a'), named('placeOrder', 'b')])).toThrow(/"placeOrder" is used twice/);
    expect(() => operationIdsOf([named('place_order', 'a')])).toThrow(/not camelCase/);
  });
});

describe('error answers derived from a route', () => {
  const body = z.object({ a: z.string() });
  const params = z.object({ id: z.uuid() });

  it('should give every route a 400, a 503 and a default, and a public route without input nothing more', () => {
    expect(statusesOf(route({ isPublic: true }))).toEqual(['400', '503', 'default']);
  });

  it('should add 401 without @Public, 403 with @Roles, 413 and 415 with a body', () => {
    expect(statusesOf(route({ roles: ['admin'], inputs: { body } }))).toEqual(['400', '401', '403', '413', '415', '503', 'default']);
  });

  it('should add 404 for a path parameter, except where the route creates what it names or says otherwise', () => {
    expect(statusesOf(route({ method: 'get', nestStatus: 200, inputs: { params } }))).toContain('404');
    const upsert = route({ method: 'put', nestStatus: 200, inputs: { params, body } });
    expect(statusesOf(upsert, [200, 201])).not.toContain('404');
    expect(statusesOf(route({ inputs: { params }, options: { summary: 's', notFound: false } }))).not.toContain('404');
  });

  it("should add the statuses a route declares, in the route's words", () => {
    const responses = errorResponsesOf(
      route({ isPublic: true, inputs: { body }, options: { summary: 's', errors: { 401: 'Wrong password', 409: 'Taken' } } }),
      [200],
      new Components(),
    ) as Record<string, { description?: string; headers?: Record<string, unknown> }>;
    expect(responses['409']?.description).toBe('Taken');
    expect(responses['401']).toMatchObject({ description: 'Wrong password', headers: { 'WWW-Authenticate': expect.anything() } });
  });
});
