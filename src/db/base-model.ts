import { Model, QueryBuilder, type Page, type Pojo, type QueryContext } from 'objection';
import { findUnstorable } from '../lib/storable';

/**
 * Common behaviour: camelCase in code, updated_at kept current, ISO strings for timestamps in JSON,
 * and no write of text PostgreSQL cannot store.
 */
export class BaseModel extends Model {
  /** Tables with an updated_at column set this, so patches refresh it. */
  static hasUpdatedAt = true;

  /**
   * The last line behind the edge's checks (src/api/body-parsers.ts): an insert or patch holding a NUL
   * or a lone surrogate, in a column or inside a JSON one, fails here as a ValidationError naming the
   * property (422 in the API, a non-retryable failure in an activity) instead of as SQLSTATE 22021 or
   * 22P05, or a U+FFFD that PostgreSQL would store silently. Checked before JSON columns are
   * serialised, where a NUL becomes the six characters `\u0000`.
   */
  override $formatDatabaseJson(json: Pojo): Pojo {
    const found = findUnstorable(json, '', { numbers: false });
    if (found) {
      throw (this.constructor as typeof Model).createValidationError({
        type: 'ModelValidation',
        message: `${found.field} ${found.message}`,
        data: { [found.field]: [{ message: found.message, keyword: 'storable', params: {} }] },
      });
    }
    return super.$formatDatabaseJson(json);
  }

  override $beforeUpdate(): void {
    if ((this.constructor as typeof BaseModel).hasUpdatedAt) {
      (this as unknown as { updatedAt: Date }).updatedAt = new Date();
    }
  }
}

/** Raised when a query on tenant-owned data was built without an organization. */
export class UnscopedQueryError extends Error {
  constructor(table: string) {
    super(`Query on tenant-owned table "${table}" has no organization scope: call forOrganization(id)`);
    this.name = 'UnscopedQueryError';
  }
}

interface ScopeContext {
  organizationId?: string;
  unscopedReason?: string;
}

/**
 * The one scoping mechanism for tenant-owned data. Every query on a TenantModel must say which
 * organization it serves (`forOrganization`), or say why it spans organizations (`unscoped`);
 * otherwise building it throws. The scope travels in the query context, so queries Objection
 * derives from it (eager loading, relation queries, subqueries) are scoped the same way.
 */
export class TenantQueryBuilder<M extends Model, R = M[]> extends QueryBuilder<M, R> {
  declare ArrayQueryBuilderType: TenantQueryBuilder<M, M[]>;
  declare SingleQueryBuilderType: TenantQueryBuilder<M, M>;
  declare MaybeSingleQueryBuilderType: TenantQueryBuilder<M, M | undefined>;
  declare NumberQueryBuilderType: TenantQueryBuilder<M, number>;
  declare PageQueryBuilderType: TenantQueryBuilder<M, Page<M>>;

  constructor(...args: unknown[]) {
    // @ts-expect-error Objection's typings omit the model class that its constructor receives.
    super(...args);
    this.onBuild((builder) => {
      const scope = builder.context() as ScopeContext;
      const model = builder.modelClass();
      if (!(model.prototype instanceof TenantModel)) return;
      // A where-group (`where((q) => …)`) is part of its parent query, which carries the scope.
      if ((builder as unknown as { isPartial(): boolean }).isPartial()) return;
      if (scope.unscopedReason) return;
      if (!scope.organizationId) throw new UnscopedQueryError(model.tableName);
      if (builder.isInsert()) return; // TenantModel.$beforeInsert stamps and checks the rows.
      builder.where(`${builder.tableRefFor(model)}.organization_id`, scope.organizationId);
    });
  }

  forOrganization(organizationId: string): this {
    return this.context({ organizationId } satisfies ScopeContext);
  }

  /** For system work that spans tenants (index rebuilds, webhook lookups); the reason documents why. */
  unscoped(reason: string): this {
    return this.context({ unscopedReason: reason } satisfies ScopeContext);
  }
}

/** A row owned by one organization. */
export class TenantModel extends BaseModel {
  declare QueryBuilderType: TenantQueryBuilder<this>;
  static override QueryBuilder = TenantQueryBuilder;

  declare organizationId: string;

  override $beforeInsert(queryContext: QueryContext): void {
    const scope = queryContext as ScopeContext;
    if (scope.unscopedReason) return;
    if (!scope.organizationId) throw new UnscopedQueryError((this.constructor as typeof Model).tableName);
    if (this.organizationId && this.organizationId !== scope.organizationId) {
      throw new Error('Refusing to insert a row for another organization than the query scope');
    }
    this.organizationId = scope.organizationId;
  }
}
