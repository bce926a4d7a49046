import { runShop } from './run-shop.js';

/** The monolith: every module not in EXTRACTED_MODULES, in one process. */
void runShop('monolith');
