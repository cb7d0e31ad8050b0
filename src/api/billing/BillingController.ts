import type { Request as ExRequest } from 'express';
import {
  Body,
  Controller,
  Get,
  Header,
  Post,
  Request,
  Response,
  Route,
  Security,
  SuccessResponse,
  Tags,
} from 'tsoa';
import {
  billingOverview,
  openBillingPortal,
  setCancelAtPeriodEnd,
  startCheckout,
  type BillingOverview,
} from '../../services/billing';
import { principalOf } from '../auth/principal';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { IdempotencyKeyHeader } from '../../domain/schemas';
import type { ApiServices } from '../services';
import { answerIdempotently } from '../idempotency';

/** @example {"plan": "pro"} */
export interface CheckoutCreation {
  /** The plan to subscribe to. */
  plan: 'pro' | 'enterprise';
}

export interface CheckoutSession {
  /** Send the customer here: Stripe's page takes the card, Parley never sees it. */
  url: string;
  sessionId: string;
}

export interface PortalSession {
  /** Stripe's Billing Portal for this organization: payment methods, invoices, plan changes. */
  url: string;
}

/**
 * The organization's plan and subscription. Payments happen on Stripe (Checkout and the Billing
 * Portal); the subscription workflow keeps the plan in step with Stripe's webhooks. Owners and admins.
 */
@Route('v1/billing')
@Tags('Billing')
export class BillingController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * Plan, subscription status, billing period, and usage against the plan's limits.
   * @summary Get the plan and subscription
   */
  @Get()
  @Security('bearer', ['admin'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Owners and admins only', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getBilling(@Request() req: ExRequest): Promise<BillingOverview> {
    return billingOverview(this.services, principalOf(req).organizationId);
  }

  /**
   * Starts an upgrade: a Stripe Checkout session in subscription mode for the plan, for the
   * organization's Stripe customer (created on first use). Redirect the customer to `url`.
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Start a Stripe Checkout upgrade
   */
  @Post('checkout')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Security('bearer', ['admin'])
  @SuccessResponse(201, 'Created')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Owners and admins only', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'Already subscribed: change plans in the portal', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'Billing not configured, or Stripe unreachable', undefined, PROBLEM)
  public async createCheckout(
    @Request() req: ExRequest,
    @Body() body: CheckoutCreation,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<CheckoutSession> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => ({
      status: 201,
      body: await startCheckout(this.services, principalOf(req).organizationId, body.plan),
    }));
  }

  /**
   * A Stripe Billing Portal session for managing the subscription.
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Open the Stripe Billing Portal
   */
  @Post('portal')
  @Security('bearer', ['admin'])
  @SuccessResponse(201, 'Created')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Owners and admins only', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'Billing not configured, or Stripe unreachable', undefined, PROBLEM)
  public async createPortal(
    @Request() req: ExRequest,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<PortalSession> {
    return answerIdempotently(this, req, idempotencyKey, {}, async () => ({
      status: 201,
      body: await openBillingPortal(this.services, principalOf(req).organizationId),
    }));
  }

  /**
   * Cancels the subscription at the end of the paid period: the organization drops to Free then.
   * @summary Cancel at the end of the period
   */
  @Post('cancel')
  @Security('bearer', ['admin'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Owners and admins only', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'No active subscription', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'Billing not configured, or Stripe unreachable', undefined, PROBLEM)
  public async cancelAtPeriodEnd(@Request() req: ExRequest): Promise<BillingOverview> {
    return setCancelAtPeriodEnd(this.services, principalOf(req).organizationId, true);
  }

  /**
   * Takes back a cancellation before the period ends.
   * @summary Resume a cancelled subscription
   */
  @Post('resume')
  @Security('bearer', ['admin'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Owners and admins only', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'No active subscription', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'Billing not configured, or Stripe unreachable', undefined, PROBLEM)
  public async resume(@Request() req: ExRequest): Promise<BillingOverview> {
    return setCancelAtPeriodEnd(this.services, principalOf(req).organizationId, false);
  }
}
