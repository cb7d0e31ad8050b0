// Soak: chat visitors and API clients together for 30 minutes, to catch leaks and slow drift.
// k6 run -e BASE_URL=… -e API_KEY=prly_… -e WIDGET_KEY=… -e ORIGIN=… loadtest/soak.js
import {
  apiThresholds,
  chatRamp,
  chatThresholds,
  duration,
  settings,
  steadyPhase,
  summaryTrendStats,
} from './lib/config.js';
import { visitorSession } from './lib/visitor.js';
import apiMix, { setup as apiSetup } from './api.js';

export const options = {
  summaryTrendStats,
  scenarios: {
    chat: { ...chatRamp(settings.soak.chatUsers, settings.soak.seconds), exec: 'chat', gracefulStop: '70s' },
    api: {
      executor: 'constant-vus',
      vus: settings.soak.apiUsers,
      duration: duration(settings.soak.seconds),
      exec: 'api',
    },
  },
  thresholds: { ...apiThresholds, ...chatThresholds },
};

export const setup = () => ({ ...apiSetup(), steadyFrom: steadyPhase() });

export function chat(data) {
  visitorSession(settings.chat.sessionSeconds, data.steadyFrom);
}

export function api(data) {
  apiMix(data);
}
