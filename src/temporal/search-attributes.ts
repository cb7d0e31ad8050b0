import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Logger } from '../lib/logger';

/**
 * The custom search attributes Parley's workflows carry (see src/workflows/contracts.ts), registered
 * when missing by the worker at start-up (and by the test setup, whose workers start in-process), so
 * a ticket workflow never fails to start for want of them.
 */
export const SEARCH_ATTRIBUTES = ['OrganizationId', 'TicketId'] as const;

export async function ensureSearchAttributes(
  config: { address: string; namespace: string },
  logger: Logger,
): Promise<void> {
  const connection = await Connection.connect({ address: config.address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: config.namespace,
    });
    const missing = SEARCH_ATTRIBUTES.filter((name) => !(name in (customAttributes ?? {})));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace: config.namespace,
      searchAttributes: Object.fromEntries(
        missing.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
    logger.info({ searchAttributes: missing }, 'registered Temporal search attributes');
  } finally {
    await connection.close();
  }
}
