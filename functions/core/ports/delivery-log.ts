/**
 * Remembers which webhook deliveries were already handled, keyed by a hash of the signed body
 * (the `X-GitHub-Delivery` header is not signed), so a delivery GitHub (or an attacker
 * replaying a captured request under a new id) sends twice queues its job once.
 */
export interface DeliveryLog {
  /** True the first time `deliveryKey` is seen within `ttlSeconds`, false on every repeat. */
  firstTime(deliveryKey: string, ttlSeconds: number): Promise<boolean>;
  /** Forget a delivery whose handling failed, so GitHub's redelivery is not taken for a repeat. */
  forget(deliveryKey: string): Promise<void>;
}
