import { createHash } from 'node:crypto';
import type { ErrorRecord, RepoRef } from '../../core/contracts.ts';
import { fingerprintError } from '../../core/detect/fingerprint.ts';
import { buildIncidentKey, computeTtl } from '../../core/incident/incident-rules.ts';
import type { IncidentStore, OccurrenceResult } from '../../core/ports/incident-store.ts';

export interface RecordLocalErrorInput {
  record: ErrorRecord;
  repo: RepoRef;
  store: IncidentStore;
  now?: () => number;
  ttlDays?: number;
  fingerprint?: (record: ErrorRecord) => string;
}

/**
 * Records one error from a followed file as an occurrence of its incident. The batch id is the
 * hash of the record's event ids (`<path>:<byte offset>`), so the one record a restart may read
 * again is recognised as a duplicate: at-least-once reading, exactly-once counting.
 */
export async function recordLocalError({
  record,
  repo,
  store,
  now = Date.now,
  ttlDays = 90,
  fingerprint = fingerprintError,
}: RecordLocalErrorInput): Promise<{ incidentKey: string; fingerprint: string; result: OccurrenceResult }> {
  const print = fingerprint(record);
  const incidentKey = buildIncidentKey({ repo, fingerprint: print });
  const result = await store.recordOccurrence({
    incidentKey,
    repo,
    fingerprint: print,
    count: 1,
    firstSeen: record.timestamp,
    lastSeen: record.timestamp,
    sample: record,
    ttl: computeTtl({ nowMs: now(), ttlDays }),
    batchId: createHash('sha256').update(record.eventIds.join('\n')).digest('hex').slice(0, 32),
  });
  return { incidentKey, fingerprint: print, result };
}
