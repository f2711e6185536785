import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { type Incident, IncidentSchema, type IncidentStatus } from '../core/contracts.ts';
import type { IncidentFlagStore, IncidentFlags } from '../core/incident/incident-flags.ts';
import { assertTransition } from '../core/incident/incident-rules.ts';
import type {
  ListableIncidentStore,
  OccurrenceInput,
  OccurrenceResult,
  TransitionInput,
} from '../core/ports/incident-store.ts';
import { appliedEarlier, newWriteMark, WRITE_MARK_ATTRIBUTE } from './dynamodb-write-mark.ts';

const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

/**
 * IncidentStore on a DynamoDB table keyed by `incidentKey` (S), with TTL on `ttl`. Every write
 * is a single conditional UpdateItem; throttling is retried by the client (`maxAttempts`), and
 * what still fails is thrown so the Lambda invocation is retried.
 */
export class DynamoDbIncidentStore implements ListableIncidentStore, IncidentFlagStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor({ client, tableName }: { client: DynamoDBClient; tableName: string }) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async recordOccurrence(input: OccurrenceInput): Promise<OccurrenceResult> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: marshall({ incidentKey: input.incidentKey }),
          // One write creates or updates: the creation fields only land when absent, the count
          // is an atomic ADD, so concurrent detectors never lose occurrences.
          UpdateExpression: [
            'SET #repo = if_not_exists(#repo, :repo), #fingerprint = if_not_exists(#fingerprint, :fingerprint),',
            '#status = if_not_exists(#status, :new), #firstSeen = if_not_exists(#firstSeen, :firstSeen),',
            '#sample = if_not_exists(#sample, :sample), #attempts = if_not_exists(#attempts, :zero),',
            '#costUsd = if_not_exists(#costUsd, :zero), #lastSeen = :lastSeen, #ttl = :ttl, #lastBatchId = :batchId',
            'ADD #count :count',
          ].join(' '),
          // The same batch twice in a row is a redelivered payload: do not count it again.
          ConditionExpression: 'attribute_not_exists(#incidentKey) OR #lastBatchId <> :batchId',
          // Every name aliased: DynamoDB reserves hundreds of words (status, count, ttl, sample…).
          ExpressionAttributeNames: Object.fromEntries(
            [
              'incidentKey',
              'repo',
              'fingerprint',
              'status',
              'firstSeen',
              'sample',
              'attempts',
              'costUsd',
              'lastSeen',
              'ttl',
              'lastBatchId',
              'count',
            ].map((name) => [`#${name}`, name]),
          ),
          ExpressionAttributeValues: marshall(
            {
              ':repo': input.repo,
              ':fingerprint': input.fingerprint,
              ':new': 'new',
              ':firstSeen': input.firstSeen,
              ':lastSeen': input.lastSeen,
              ':sample': input.sample,
              ':zero': 0,
              ':ttl': input.ttl,
              ':batchId': input.batchId,
              ':count': input.count,
            },
            MARSHALL,
          ),
          ReturnValues: 'ALL_NEW',
        }),
      );
      const incident = parseIncident(Attributes);
      // Counts only grow and every delivery adds at least one: only the creating write sees exactly its own count.
      return { kind: incident.count === input.count ? 'created' : 'existing', incident };
    } catch (error: unknown) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const incident = await this.get(input.incidentKey);
      if (!incident)
        throw new Error(`incident ${input.incidentKey} failed its batch condition but does not exist`);
      return { kind: 'duplicate', incident };
    }
  }

  async transition({
    incidentKey,
    from,
    to,
    expectAttempts,
    expectLease,
    set = {},
  }: TransitionInput): Promise<boolean> {
    assertTransition(from, to);
    const mark = newWriteMark();
    const names: Record<string, string> = { '#status': 'status', '#mark': WRITE_MARK_ATTRIBUTE };
    const values: Record<string, unknown> = { ':from': from, ':to': to, ':mark': mark };
    const assignments = ['#status = :to', '#mark = :mark'];
    const removals: string[] = [];
    Object.entries(set).forEach(([field, value], index) => {
      names[`#f${index}`] = field;
      // A field given as undefined is removed (an email mark cleared after a failed send).
      if (value === undefined) {
        removals.push(`#f${index}`);
        return;
      }
      values[`:f${index}`] = value;
      assignments.push(`#f${index} = :f${index}`);
    });
    let condition = '#status = :from';
    if (expectAttempts !== undefined) {
      names['#attempts'] = 'attempts';
      values[':attempts'] = expectAttempts;
      condition += ' AND #attempts = :attempts';
    }
    if (expectLease === null) {
      names['#lease'] = 'lease';
      condition += ' AND attribute_not_exists(#lease)';
    } else if (expectLease !== undefined) {
      Object.assign(names, { '#lease': 'lease', '#leaseOwner': 'owner', '#leaseUntil': 'until' });
      Object.assign(values, { ':leaseOwner': expectLease.owner, ':leaseUntil': expectLease.until });
      condition += ' AND #lease.#leaseOwner = :leaseOwner AND #lease.#leaseUntil = :leaseUntil';
    }
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: marshall({ incidentKey }),
          UpdateExpression: `SET ${assignments.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, MARSHALL),
        }),
      );
      return true;
    } catch (error: unknown) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // a retry of this very call, after the first attempt moved it: done, not lost to someone else
      const key = marshall({ incidentKey });
      return appliedEarlier({ error, client: this.#client, tableName: this.#tableName, key, mark });
    }
  }

  /** Sets the incident page's flags with one conditional UpdateItem that leaves the status alone. */
  async setFlags({ incidentKey, flags }: { incidentKey: string; flags: IncidentFlags }): Promise<boolean> {
    const entries = Object.entries(flags).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return (await this.get(incidentKey)) !== undefined;
    const names: Record<string, string> = { '#key': 'incidentKey' };
    const values: Record<string, unknown> = {};
    entries.forEach(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:f${index}`] = value;
    });
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: marshall({ incidentKey }),
          UpdateExpression: `SET ${entries.map((_, index) => `#f${index} = :f${index}`).join(', ')}`,
          // Without the condition an update would create a stub item for an unknown key.
          ConditionExpression: 'attribute_exists(#key)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, MARSHALL),
        }),
      );
      return true;
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(incidentKey: string): Promise<Incident | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: marshall({ incidentKey }),
        ConsistentRead: true,
      }),
    );
    return Item ? parseIncident(Item) : undefined;
  }

  /**
   * A paginated Scan filtered on `status`, stopping once `limit` incidents are found. A Scan
   * rather than a status index: the table holds one item per fingerprint (expiring after
   * `INCIDENT_TTL_DAYS`) plus small bookkeeping items, and the sweep reads it once an hour, which
   * costs less than an index that every status change writes to. Delivery ids, branch links and
   * budget reservations carry no `status` and no `fingerprint`, so the filter skips them.
   */
  async listByStatus(status: IncidentStatus, { limit }: { limit: number }): Promise<Incident[]> {
    const found: Incident[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    while (found.length < limit) {
      const page = await this.#client.send(
        new ScanCommand({
          TableName: this.#tableName,
          FilterExpression: '#status = :status AND attribute_exists(#fingerprint)',
          ExpressionAttributeNames: { '#status': 'status', '#fingerprint': 'fingerprint' },
          ExpressionAttributeValues: marshall({ ':status': status }),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        if (found.length >= limit) break;
        found.push(parseIncident(item));
      }
      startKey = page.LastEvaluatedKey;
      if (!startKey) break;
    }
    return found;
  }
}

function parseIncident(item: Parameters<typeof unmarshall>[0] | undefined): Incident {
  if (!item) throw new Error('DynamoDB returned no attributes for an UpdateItem with ReturnValues ALL_NEW');
  return IncidentSchema.parse(unmarshall(item));
}
