import { runShop } from '../../run-shop.js';

/** reporting as its own service: its routes, internal RPC, consumers, outbox relay and migrations, and no other module. */
void runShop('reporting');
