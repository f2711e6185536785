import { createHash } from 'node:crypto';
import type { ErrorRecord } from './contracts.ts';

// Placeholder until the fingerprint rules land: type + message only.
export function fingerprintError(
  record: Pick<ErrorRecord, 'language' | 'exceptionType' | 'message' | 'frames' | 'causes'>,
): string {
  return createHash('sha256')
    .update(`${record.language}\0${record.exceptionType}\0${record.message}`)
    .digest('hex')
    .slice(0, 32);
}
