import type { Knex } from 'knex';
import type { TemporalGateway } from '../temporal/client';

export type DependencyState = 'ok' | 'unavailable';

/** Answers whether the API's dependencies are reachable right now. */
export class Readiness {
  constructor(
    private readonly knex: Knex,
    private readonly temporal: TemporalGateway,
  ) {}

  async check(): Promise<{ database: DependencyState; temporal: DependencyState }> {
    const [database, temporal] = await Promise.all([this.database(), this.temporal.isHealthy()]);
    return { database, temporal: temporal ? 'ok' : 'unavailable' };
  }

  private async database(): Promise<DependencyState> {
    try {
      await this.knex.raw('select 1').timeout(2_000, { cancel: true });
      return 'ok';
    } catch {
      return 'unavailable';
    }
  }
}
