/**
 * Remembers which webhook deliveries were already handled (`X-GitHub-Delivery`), so a delivery
 * GitHub (or an attacker replaying a captured request) sends twice queues its job once.
 */
export interface DeliveryLog {
  /** True the first time `deliveryId` is seen within `ttlSeconds`, false on every repeat. */
  firstTime(deliveryId: string, ttlSeconds: number): Promise<boolean>;
  /** Forget a delivery whose handling failed, so GitHub's redelivery is not taken for a repeat. */
  forget(deliveryId: string): Promise<void>;
}
