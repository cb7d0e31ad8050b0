// Chat: 100 concurrent widget visitors, arriving over 30 s, each asking a question, reading the reply,
// thinking 3–8 s, and asking again. k6 run -e BASE_URL=… -e WIDGET_KEY=… -e ORIGIN=… loadtest/chat.js
import { chatRamp, chatThresholds, settings, steadyPhase, summaryTrendStats } from './lib/config.js';
import { visitorSession } from './lib/visitor.js';

export const options = {
  summaryTrendStats,
  scenarios: {
    chat: { ...chatRamp(settings.chat.users, settings.chat.seconds), gracefulStop: '70s' },
  },
  thresholds: chatThresholds,
};

export const setup = () => ({ steadyFrom: steadyPhase() });

export default function (data) {
  // One long-lived socket per visitor; a new one (a returning visitor) after each session.
  visitorSession(settings.chat.sessionSeconds, data.steadyFrom);
}
