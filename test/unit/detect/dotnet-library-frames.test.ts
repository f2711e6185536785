// The libraries a .NET service's stack runs through are not its code (in-app.ts): an error raised
// deep in Dapper and its driver must not fill a fingerprint's frames with theirs. (No .NET runtime
// to capture with here: the frames below are composed in the shape .NET prints them.)
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { fingerprintError, fingerprintParts } from '../../../functions/core/detect/fingerprint.ts';
import { isInApp } from '../../../functions/core/detect/in-app.ts';
import { makeEvents } from '../../support/log-events.ts';

const LIBRARY_FRAMES = [
  '   at Npgsql.NpgsqlConnector.ReadMessageLong(Boolean async, DataRowLoadingMode dataRowLoadingMode)',
  '   at Npgsql.NpgsqlDataReader.NextResult(Boolean async, Boolean isConsuming, CancellationToken cancellationToken)',
  '   at Npgsql.NpgsqlCommand.ExecuteReader(CommandBehavior behavior, Boolean async, CancellationToken cancellationToken)',
  '   at Dapper.SqlMapper.ExecuteReaderWithFlagsFallback(IDbCommand cmd, Boolean wasClosed, CommandBehavior behavior)',
  '   at Dapper.SqlMapper.QueryImpl[T](IDbConnection cnn, CommandDefinition command, Type effectiveType)+MoveNext()',
  '   at System.Collections.Generic.List`1..ctor(IEnumerable`1 collection)',
  '   at System.Linq.Enumerable.ToList[TSource](IEnumerable`1 source)',
  '   at Dapper.SqlMapper.Query[T](IDbConnection cnn, String sql, Object param, IDbTransaction transaction, Boolean buffered, Nullable`1 commandTimeout, Nullable`1 commandType)',
  '   at StackExchange.Redis.ConnectionMultiplexer.ExecuteSyncImpl[T](Message message, ResultProcessor`1 processor, ServerEndPoint server)',
  '   at Serilog.Core.Logger.Write(LogEventLevel level, Exception exception, String messageTemplate)',
];

const traceFrom = (method: string, line: number): string =>
  [
    'Npgsql.PostgresException (0x80004005): 23502: null value in column "sku" violates not-null constraint',
    ...LIBRARY_FRAMES,
    `   at Shop.Orders.OrderRepository.${method}(Order order) in /src/Shop/Orders/OrderRepository.cs:line ${line}`,
    '   at Shop.Api.OrdersController.Post(OrderRequest request) in /src/Shop.Api/OrdersController.cs:line 31',
  ].join('\n');

describe('.NET library frames', () => {
  it('leave the application its own: two repository methods failing in one driver call are two incidents', () => {
    const [insert] = detectErrors(makeEvents([traceFrom('Insert', 42)]));
    const [update] = detectErrors(makeEvents([traceFrom('Update', 57)]));
    expect(insert && fingerprintParts(insert.record).frames).toEqual([
      'src/Shop.Api/OrdersController.cs:Shop.Api.OrdersController.Post',
      'Shop/Orders/OrderRepository.cs:Shop.Orders.OrderRepository.Insert',
    ]);
    expect(insert && fingerprintError(insert.record)).not.toBe(update && fingerprintError(update.record));
  });

  it('are told apart by namespace, not by a word inside an application namespace', () => {
    const dotnet = (module: string) => isInApp({ language: 'dotnet', file: '', module });
    expect(dotnet('Dapper.SqlMapper')).toBe(false);
    expect(dotnet('StackExchange.Redis.ConnectionMultiplexer')).toBe(false);
    expect(dotnet('MongoDB.Driver.Core.Connections.BinaryConnection')).toBe(false);
    expect(dotnet('Shop.Dapper.OrderQueries')).toBe(true);
    expect(dotnet('Shop.Orders.OrderRepository')).toBe(true);
  });
});
