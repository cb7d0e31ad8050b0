import type { Knex } from 'knex';
import { Model } from 'objection';

/** Binds every Objection model to this Knex instance (one database per process). */
export function bindModels(knex: Knex): void {
  Model.knex(knex);
}
