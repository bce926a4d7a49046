import type { DocumentedRoute } from './mounted-routes.js';

const CAMEL_CASE = /^[a-z][a-zA-Z0-9]*$/;

/**
 * The operationId of every route, in the order given. A module has one folder, and one
 * controller, per use case, so the controller's name is the use case's name:
 * `PlaceOrderController` → `placeOrder`, `LogInController` → `logIn`. A controller
 * serving several routes cannot name them all and must give each an `operationId` in
 * @ApiRoute; any route may, where its controller's name would read badly in a client.
 * Throws when the document is built if a name is missing, not camelCase, or used twice,
 * since generated clients would otherwise invent or collide names.
 */
export function operationIdsOf(routes: readonly DocumentedRoute[]): string[] {
  const routesPerController = new Map<string, number>();
  for (const route of routes) routesPerController.set(route.controller, (routesPerController.get(route.controller) ?? 0) + 1);

  const ownerOf = new Map<string, string>();
  return routes.map((route) => {
    const where = `${route.controller}.${route.handler} (${route.method.toUpperCase()} ${route.path})`;
    let id = route.options.operationId;
    if (id === undefined) {
      if (routesPerController.get(route.controller)! > 1 || !route.controller.endsWith('Controller')) {
        throw new Error(`${where} needs an operationId in @ApiRoute: its controller's name cannot name it alone`);
      }
      const useCase = route.controller.slice(0, -'Controller'.length);
      id = useCase.charAt(0).toLowerCase() + useCase.slice(1);
    }
    if (!CAMEL_CASE.test(id)) throw new Error(`${where}: operationId "${id}" is not camelCase`);
    const owner = ownerOf.get(id);
    if (owner) throw new Error(`operationId "${id}" is used twice: by ${owner} and by ${where}`);
    ownerOf.set(id, where);
    return id;
  });
}
