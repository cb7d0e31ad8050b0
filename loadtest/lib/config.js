// Shared settings of the k6 profiles: target, credentials, thresholds and the visitors' questions.
// settings.json is the one definition of the scenarios (users, ramp, durations, think time): the same
// file drives `npm run load:<profile>` (scripts/load.ts), which runs them with Node where k6 is not
// installed, and tests/foundation/loadtest.test.ts checks that these scripts take it as it is.
import { check } from 'k6';

export const settings = JSON.parse(open('./settings.json'));

/** Where the API runs and who the load acts as (an API key, and the organization's widget key). */
export const BASE_URL = (__ENV.BASE_URL || 'http://localhost:3000').replace(/\/$/, '');
export const API_KEY = __ENV.API_KEY || '';
export const WIDGET_KEY = __ENV.WIDGET_KEY || '';
/** An origin the organization allows for its widget. */
export const ORIGIN = __ENV.ORIGIN || BASE_URL;

export const apiHeaders = { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' };

export const apiThresholds = {
  http_req_duration: [`p(95)<${settings.thresholds.apiP95Ms}`],
  http_req_failed: [`rate<${settings.thresholds.errorRate}`],
  checks: [`rate>${1 - settings.thresholds.errorRate}`],
};

/** Judged once every visitor has arrived: replies are tagged `phase: arriving` or `phase: steady`. */
export const chatThresholds = {
  'chat_reply_ms{phase:steady}': [`p(95)<${settings.thresholds.chatReplyP95Ms}`],
  chat_errors: [`rate<${settings.thresholds.errorRate}`],
};

/** A k6 duration from the settings' seconds. */
export const duration = (seconds) => `${seconds}s`;

/** Visitors arrive one by one over `rampSeconds`, then all of them stay for `seconds`. */
export function chatRamp(users, seconds) {
  return {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: [
      { duration: duration(settings.chat.rampSeconds), target: users },
      { duration: duration(seconds), target: users },
    ],
  };
}

/** When every visitor has arrived (call from setup(), which runs just before the scenarios start). */
export const steadyPhase = () => Date.now() + settings.chat.rampSeconds * 1000;

export function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

export function thinkSeconds() {
  const { thinkMinSeconds, thinkMaxSeconds } = settings.chat;
  return thinkMinSeconds + Math.random() * (thinkMaxSeconds - thinkMinSeconds);
}

export function checkOk(res, name) {
  return check(res, { [`${name}: 2xx`]: (r) => r.status >= 200 && r.status < 300 });
}

/** The same percentiles the Node runner prints. */
export const summaryTrendStats = ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'];
