import type { DeliveryLog } from '../core/ports/delivery-log.ts';

/** DeliveryLog in process memory, for tests and the one-machine runner. */
export class MemoryDeliveryLog implements DeliveryLog {
  readonly #expiries = new Map<string, number>();
  readonly #now: () => number;

  constructor({ now = Date.now }: { now?: () => number } = {}) {
    this.#now = now;
  }

  async firstTime(deliveryId: string, ttlSeconds: number): Promise<boolean> {
    const expiry = this.#expiries.get(deliveryId);
    if (expiry !== undefined && expiry > this.#now()) return false;
    this.#expiries.set(deliveryId, this.#now() + ttlSeconds * 1000);
    return true;
  }

  async forget(deliveryId: string): Promise<void> {
    this.#expiries.delete(deliveryId);
  }
}
