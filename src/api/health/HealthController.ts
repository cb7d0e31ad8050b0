import { Controller, Get, Response, Route, Tags } from 'tsoa';
import type { ProblemDocument } from '../../lib/problem';
import type { ApiServices } from '../services';

interface Liveness {
  status: 'ok';
}

interface Readiness {
  status: 'ok' | 'unavailable';
  checks: { database: 'ok' | 'unavailable'; temporal: 'ok' | 'unavailable' };
}

@Route('')
@Tags('Health')
export class HealthController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * The process is up. Used by liveness probes.
   * @summary Liveness
   */
  @Get('healthz')
  public healthz(): Liveness {
    return { status: 'ok' };
  }

  /**
   * PostgreSQL and Temporal are reachable; 503 names the dependency that is not.
   * @summary Readiness
   */
  @Get('readyz')
  @Response<Readiness>(503, 'A dependency is unreachable')
  @Response<ProblemDocument>(500, 'Unexpected error')
  public async readyz(): Promise<Readiness> {
    const checks = await this.services.readiness.check();
    const ok = checks.database === 'ok' && checks.temporal === 'ok';
    if (!ok) this.setStatus(503);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }
}
