import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { LOGGER } from '../../../platform/logging/logger.token.js';
import { GetProducts } from '../../catalog/contract.js';
import { GetUser } from '../../identity/contract.js';
import type { OrderLineView } from '../../ordering/contract.js';
import { UNKNOWN_NAME } from '../domain/summary-status.js';

/**
 * Names copied into the read model, asked of identity and catalog before the
 * projection's transaction opens. Best-effort: a report with "Unknown" beats an
 * event stuck in retries because another module is down, so a failed lookup is
 * logged and never fails the event.
 */
@Injectable()
export class OrderNames {
  constructor(
    private readonly contracts: ContractBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async userName(userId: string): Promise<string> {
    try {
      const user = await this.contracts.query(new GetUser(userId));
      if (user) return user.name;
      this.logger.warn({ userId }, 'reporting: identity knows no such user; storing "Unknown"');
    } catch (error) {
      this.logger.warn({ err: error, userId }, 'reporting: identity.GetUser failed; storing "Unknown"');
    }
    return UNKNOWN_NAME;
  }

  /**
   * One name per line, in one batched call: catalog's current name, else the name the
   * order was placed with, else "Unknown".
   */
  async productNames(lines: OrderLineView[]): Promise<string[]> {
    const current = new Map<string, string>();
    if (lines.length > 0) {
      try {
        const products = await this.contracts.query(new GetProducts([...new Set(lines.map((l) => l.productId))]));
        for (const product of products) current.set(product.id, product.name);
      } catch (error) {
        this.logger.warn({ err: error }, "reporting: catalog.GetProducts failed; using the names the order was placed with");
      }
    }
    return lines.map((line) => current.get(line.productId) ?? (line.productName || UNKNOWN_NAME));
  }
}
