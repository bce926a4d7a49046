/**
 * Set once shutdown begins: the HTTP edge then turns new requests away with 503 (and
 * `Connection: close`), so a load balancer retries them elsewhere while the work
 * already in hand finishes.
 */
export const draining = { active: false };
