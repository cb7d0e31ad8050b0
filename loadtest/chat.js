// Chat: 100 concurrent widget visitors, each asking a question, reading the reply, thinking 3–8 s,
// and asking again. k6 run -e BASE_URL=… -e WIDGET_KEY=… -e ORIGIN=… loadtest/chat.js
import { chatThresholds, settings, summaryTrendStats } from './lib/config.js';
import { visitorSession } from './lib/visitor.js';

export const options = {
  summaryTrendStats,
  scenarios: {
    chat: {
      executor: 'constant-vus',
      vus: settings.chat.users,
      duration: settings.chat.duration,
      gracefulStop: '70s',
    },
  },
  thresholds: chatThresholds,
};

export default function () {
  // One long-lived socket per visitor; a new one (a returning visitor) after each minute.
  visitorSession(60);
}
