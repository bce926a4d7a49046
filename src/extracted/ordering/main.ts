import { runShop } from '../../run-shop.js';

/** ordering as its own service: its routes, internal RPC, consumers, outbox relay and migrations, and no other module. */
void runShop('ordering');
