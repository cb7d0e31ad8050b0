// One widget visitor over the WebSocket protocol (docs/widget-protocol.md): session, hello, then
// questions with think time; records the time to the first streamed token and to the full reply.
import http from 'k6/http';
import ws from 'k6/ws';
import { Rate, Trend } from 'k6/metrics';
import { BASE_URL, ORIGIN, WIDGET_KEY, pick, settings, thinkSeconds } from './config.js';

export const chatReply = new Trend('chat_reply_ms', true);
export const chatFirstToken = new Trend('chat_first_token_ms', true);
export const chatErrors = new Rate('chat_errors');

export function visitorSession(durationSeconds, steadyFrom) {
  const session = http.post(`${BASE_URL}/widget/v1/session`, JSON.stringify({ key: WIDGET_KEY }), {
    headers: { 'Content-Type': 'application/json', Origin: ORIGIN },
  });
  if (session.status !== 200) {
    chatErrors.add(1);
    return;
  }
  const token = session.json('token');
  const url = `${BASE_URL.replace(/^http/, 'ws')}/widget/v1/ws?key=${encodeURIComponent(WIDGET_KEY)}`;
  ws.connect(url, { headers: { Origin: ORIGIN } }, (socket) => {
    let sentAt = 0;
    let messageId = null;
    let firstToken = 0;
    let counter = 0;
    const ask = () => {
      sentAt = Date.now();
      messageId = null;
      firstToken = 0;
      socket.send(
        JSON.stringify({
          type: 'message',
          clientMessageId: `${__VU}-${__ITER}-${++counter}`,
          content: pick(settings.questions),
        }),
      );
      socket.setTimeout(() => {
        if (messageId !== 'answered') {
          chatErrors.add(1);
          socket.close();
        }
      }, 60000);
    };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'hello', token })));
    socket.on('message', (data) => {
      const frame = JSON.parse(data);
      if (frame.type === 'welcome') ask();
      else if (frame.type === 'ack') messageId = frame.messageId;
      else if (frame.type === 'token' && frame.replyTo === messageId && !firstToken) {
        firstToken = Date.now();
        chatFirstToken.add(firstToken - sentAt, { phase: sentAt >= steadyFrom ? 'steady' : 'arriving' });
      } else if (
        frame.type === 'message' &&
        frame.message.role === 'assistant' &&
        frame.message.replyToMessageId === messageId
      ) {
        chatReply.add(Date.now() - sentAt, { phase: sentAt >= steadyFrom ? 'steady' : 'arriving' });
        chatErrors.add(0);
        messageId = 'answered';
        socket.setTimeout(ask, thinkSeconds() * 1000);
      } else if (frame.type === 'error') {
        chatErrors.add(1);
      }
    });
    socket.setTimeout(() => socket.close(), durationSeconds * 1000);
  });
}
