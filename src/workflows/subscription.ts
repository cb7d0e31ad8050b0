import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  deriveState,
  downgraded,
  FREE_STATE,
  isPaymentFailing,
  sameState,
  type BillingState,
} from '../domain/billing';
import { PAID_PLANS } from '../domain/plans';
import {
  billingStateQuery,
  cancelAtPeriodEndUpdate,
  checkoutUpdate,
  portalUpdate,
  stripeEventSignal,
  type CheckoutRequest,
  type StripeEventNotice,
  type SubscriptionInput,
} from './contracts';

/**
 * One subscription workflow per organization (id `subscription-<organizationId>`), alive as long as the
 * organization: free → (checkout) → trialing/active → past_due (payment failed: a grace period, a
 * durable timer) → back to active when paid, or Free when the grace period ends unpaid; canceled when
 * the subscription ends. Stripe events arrive as signals and only trigger a re-read of the customer's
 * subscription from Stripe, so their order does not matter. Checkout, portal and cancel-at-period-end
 * requests are updates. History stays short through continue-as-new.
 */

const stripeCalls = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Requests a person waits for: fail within a minute rather than retrying for long. */
const interactive = proxyActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '500ms', maximumInterval: '5 seconds', maximumAttempts: 4 },
});

/** Continue-as-new well before Temporal's limits; each event costs about ten history events. */
const HISTORY_LIMIT = 2_000;

export async function subscriptionLifecycle(input: SubscriptionInput): Promise<void> {
  const { organizationId, graceMs } = input;
  const historyLimit = input.historyLimit ?? HISTORY_LIMIT;
  const pending: StripeEventNotice[] = [...(input.pending ?? [])];
  // Handlers are registered before the first await (an update may come with the start); they wait
  // for the state to be loaded.
  let state: BillingState = input.state ?? FREE_STATE;
  let loaded = input.state !== undefined;
  // Stripe work runs one piece at a time (events, grace, requests), so two cannot create two customers.
  let busy = false;
  async function exclusive<T>(work: () => Promise<T>): Promise<T> {
    await condition(() => loaded && !busy);
    busy = true;
    try {
      return await work();
    } finally {
      busy = false;
    }
  }

  async function save(next: BillingState): Promise<void> {
    if (sameState(next, state)) return;
    state = next;
    await stripeCalls.saveBillingState({ organizationId, state });
  }

  async function customerId(): Promise<string> {
    if (state.stripeCustomerId) return state.stripeCustomerId;
    const id = await interactive.ensureStripeCustomer({ organizationId });
    state = { ...state, stripeCustomerId: id };
    return id;
  }

  /** Moves to the state Stripe's current subscription implies. */
  async function reconcile(): Promise<void> {
    if (!state.stripeCustomerId) return;
    const snapshot = await stripeCalls.fetchCurrentSubscription({ customerId: state.stripeCustomerId });
    await save(deriveState(state, snapshot, Date.now(), graceMs));
  }

  /** The grace period is over: still unpaid → cancel in Stripe and drop to Free; paid meanwhile → carry on. */
  async function endGrace(): Promise<void> {
    const snapshot = state.stripeCustomerId
      ? await stripeCalls.fetchCurrentSubscription({ customerId: state.stripeCustomerId })
      : null;
    if (snapshot && isPaymentFailing(snapshot)) {
      await stripeCalls.cancelStripeSubscription({ subscriptionId: snapshot.id });
      await save(downgraded(state));
    } else {
      await save({ ...deriveState(state, snapshot, Date.now(), graceMs), graceUntil: null });
    }
  }

  function assertNotSubscribed(): void {
    if (state.status === 'active' || state.status === 'trialing' || state.status === 'past_due') {
      throw ApplicationFailure.create({
        type: 'AlreadySubscribed',
        message: 'The organization already has a subscription; change plans in the billing portal.',
      });
    }
  }

  function assertSubscribed(): void {
    if (!state.stripeSubscriptionId || (state.status !== 'active' && state.status !== 'trialing')) {
      throw ApplicationFailure.create({
        type: 'NoSubscription',
        message: 'The organization has no active subscription.',
      });
    }
  }

  setHandler(stripeEventSignal, (notice) => {
    pending.push(notice);
  });
  setHandler(billingStateQuery, () => state);

  setHandler(
    checkoutUpdate,
    (request) =>
      exclusive(async () => {
        assertNotSubscribed();
        return interactive.createCheckoutSession({
          organizationId,
          customerId: await customerId(),
          ...request,
        });
      }),
    {
      validator: (request: CheckoutRequest) => {
        if (!PAID_PLANS.includes(request.plan)) throw new Error(`${request.plan} is not a paid plan`);
        if (loaded) assertNotSubscribed();
      },
    },
  );

  setHandler(portalUpdate, (request) =>
    exclusive(async () =>
      interactive.createPortalSession({ customerId: await customerId(), returnUrl: request.returnUrl }),
    ),
  );

  setHandler(
    cancelAtPeriodEndUpdate,
    (request) =>
      exclusive(async () => {
        assertSubscribed();
        await interactive.setCancelAtPeriodEnd({
          subscriptionId: state.stripeSubscriptionId!,
          cancel: request.cancel,
        });
        await reconcile();
        return state;
      }),
    {
      validator: (_request) => {
        if (loaded) assertSubscribed();
      },
    },
  );

  if (!loaded) {
    state = await stripeCalls.loadBillingState({ organizationId });
    loaded = true;
  }

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;

  for (;;) {
    const wake = () => pending.length > 0 || shouldContinueAsNew();
    if (state.graceUntil === null) await condition(wake);
    else await condition(wake, Math.max(state.graceUntil - Date.now(), 1));

    if (pending.length > 0) {
      // One re-read of Stripe serves every event that arrived meanwhile.
      pending.length = 0;
      await exclusive(reconcile);
    } else if (state.graceUntil !== null && Date.now() >= state.graceUntil) {
      await exclusive(endGrace);
    }

    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof subscriptionLifecycle>({ ...input, state, pending });
    }
  }
}
