import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Lease } from '../../core/repair/repair-incident.ts';

const PREFIX = 'local';

/**
 * A lease owner naming this process (`local:<host>:<pid>:<random>`), so another `ai-ops watch`
 * on the same machine can tell a lease left by a killed process from one held by a live one.
 */
export function makeLocalLeaseOwner({ pid = process.pid, host = hostname() } = {}): string {
  return `${PREFIX}:${host}:${pid}:${randomUUID()}`;
}

/**
 * True when the lease was written by a process on this machine that no longer runs: its work
 * died with it (kill -9, a crash, a reboot), so the lease need not run out before a resume.
 * Leases of other machines, of this process, or of processes we may not signal stay held.
 */
export function isLocalLeaseAbandoned(
  lease: Lease,
  { host = hostname(), isAlive = isProcessAlive }: { host?: string; isAlive?: (pid: number) => boolean } = {},
): boolean {
  const [prefix, leaseHost, pidText] = lease.owner.split(':');
  if (prefix !== PREFIX || leaseHost !== host) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  return !isAlive(pid);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
