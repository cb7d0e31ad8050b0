import {
  currentSubscription,
  deriveState,
  downgraded,
  FREE_STATE,
  type BillingState,
  type SubscriptionSnapshot,
} from '../../src/domain/billing';

const DAY = 24 * 3600 * 1000;
const NOW = Date.UTC(2026, 10, 25);
const GRACE = 7 * DAY;

const snapshot = (overrides: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot => ({
  id: 'sub_1',
  customerId: 'cus_1',
  status: 'active',
  plan: 'pro',
  currentPeriodStart: NOW - DAY,
  currentPeriodEnd: NOW + 29 * DAY,
  cancelAtPeriodEnd: false,
  created: NOW - DAY,
  ...overrides,
});

const customer: BillingState = { ...FREE_STATE, stripeCustomerId: 'cus_1' };

describe('the subscription lifecycle rules', () => {
  it('takes the plan and period of an active subscription', () => {
    expect(deriveState(customer, snapshot(), NOW, GRACE)).toEqual({
      plan: 'pro',
      status: 'active',
      stripeCustomerId: 'cus_1',
      stripeSubscriptionId: 'sub_1',
      currentPeriodStart: NOW - DAY,
      currentPeriodEnd: NOW + 29 * DAY,
      cancelAtPeriodEnd: false,
      graceUntil: null,
    });
  });

  it('opens the grace period once: later failures do not extend it', () => {
    const failing = deriveState(customer, snapshot({ status: 'past_due' }), NOW, GRACE);
    expect(failing).toMatchObject({ plan: 'pro', status: 'past_due', graceUntil: NOW + GRACE });
    const later = deriveState(failing, snapshot({ status: 'unpaid' }), NOW + 3 * DAY, GRACE);
    expect(later.graceUntil).toBe(NOW + GRACE);
    expect(deriveState(later, snapshot(), NOW + 4 * DAY, GRACE)).toMatchObject({
      status: 'active',
      graceUntil: null,
    });
  });

  it('drops to Free when the subscription ended, and on a price that is not ours', () => {
    const active = deriveState(customer, snapshot(), NOW, GRACE);
    expect(deriveState(active, snapshot({ status: 'canceled' }), NOW, GRACE)).toMatchObject({
      plan: 'free',
      status: 'canceled',
      currentPeriodStart: null,
    });
    expect(deriveState(active, snapshot({ plan: null }), NOW, GRACE)).toMatchObject({ plan: 'free' });
    expect(downgraded(active)).toMatchObject({ plan: 'free', status: 'canceled', graceUntil: null });
  });

  it('changes nothing while the first payment of a checkout is incomplete', () => {
    expect(deriveState(customer, snapshot({ status: 'incomplete' }), NOW, GRACE)).toEqual(customer);
    expect(deriveState(customer, null, NOW, GRACE)).toMatchObject({ plan: 'free', status: 'free' });
  });

  it('picks the live subscription over older ended ones, whatever the order', () => {
    const old = snapshot({ id: 'sub_old', status: 'canceled', created: NOW - 60 * DAY });
    const live = snapshot({ id: 'sub_new', status: 'active', created: NOW - 2 * DAY });
    const pending = snapshot({ id: 'sub_pending', status: 'incomplete', created: NOW });
    expect(currentSubscription([old, live, pending])!.id).toBe('sub_new');
    expect(currentSubscription([pending, live, old])!.id).toBe('sub_new');
    expect(currentSubscription([old, pending])!.id).toBe('sub_pending');
    expect(currentSubscription([old])!.id).toBe('sub_old');
    expect(currentSubscription([])).toBeNull();
  });

  it('ends in the state of the current subscription, whatever states were seen before and in which order', () => {
    const seen = [
      snapshot({ status: 'incomplete' }),
      snapshot({ status: 'active', plan: 'enterprise' }),
      snapshot({ status: 'canceled', id: 'sub_0' }),
    ];
    const current = snapshot({ status: 'active', cancelAtPeriodEnd: true });
    const expected = deriveState(customer, current, NOW, GRACE);
    for (const order of [
      [0, 1, 2],
      [2, 0, 1],
      [1, 2, 0],
      [2, 1, 0],
    ]) {
      const before = order.reduce((state, i) => deriveState(state, seen[i]!, NOW, GRACE), customer);
      expect(deriveState(before, current, NOW, GRACE)).toEqual(expected);
    }
  });
});
