// Soak: chat visitors and API clients together for 30 minutes, to catch leaks and slow drift.
// k6 run -e BASE_URL=… -e API_KEY=prly_… -e WIDGET_KEY=… -e ORIGIN=… loadtest/soak.js
import { apiThresholds, chatThresholds, settings, summaryTrendStats } from './lib/config.js';
import { visitorSession } from './lib/visitor.js';
import apiMix, { setup as apiSetup } from './api.js';

export const options = {
  summaryTrendStats,
  scenarios: {
    chat: {
      executor: 'constant-vus',
      vus: settings.soak.chatUsers,
      duration: settings.soak.duration,
      exec: 'chat',
      gracefulStop: '70s',
    },
    api: {
      executor: 'constant-vus',
      vus: settings.soak.apiUsers,
      duration: settings.soak.duration,
      exec: 'api',
    },
  },
  thresholds: { ...apiThresholds, ...chatThresholds },
};

export const setup = apiSetup;

export function chat() {
  visitorSession(60);
}

export function api(data) {
  apiMix(data);
}
