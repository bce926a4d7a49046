import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Outbox } from './outbox.js';
import { subscriptionsOf, type Subscription } from './subscriptions.js';

/**
 * Who listens to what, and who publishes, in this process: derived at startup from
 * the @OnIntegrationEvent declarations and the modules' Outbox providers. Delivery
 * routes come from here; no module lists its consumers.
 */
@Injectable()
export class EventRoutes implements OnModuleInit {
  private readonly byType = new Map<string, Subscription[]>();
  private readonly byName = new Map<string, Subscription>();
  private readonly publisherModules = new Set<string>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object') continue;
      if (instance instanceof Outbox) {
        this.publisherModules.add(instance.module);
        continue;
      }
      for (const subscription of subscriptionsOf(instance)) {
        if (this.byName.has(subscription.name)) throw new Error(`subscription ${subscription.name} is declared twice`);
        this.byName.set(subscription.name, subscription);
        this.byType.set(subscription.eventType, [...(this.byType.get(subscription.eventType) ?? []), subscription]);
      }
    }
  }

  subscribersOf(eventType: string): Subscription[] {
    return this.byType.get(eventType) ?? [];
  }

  subscription(name: string): Subscription | undefined {
    return this.byName.get(name);
  }

  /** Modules with at least one subscription here: each gets its own queue and worker. */
  consumers(): string[] {
    return [...new Set([...this.byName.values()].map((s) => s.consumer))];
  }

  publishers(): string[] {
    return [...this.publisherModules];
  }
}
