// API mix: what integrators and the console do — lists, details, a new conversation now and then.
// k6 run -e BASE_URL=… -e API_KEY=prly_… loadtest/api.js
import http from 'k6/http';
import { sleep } from 'k6';
import {
  BASE_URL,
  apiHeaders,
  apiThresholds,
  checkOk,
  duration,
  settings,
  summaryTrendStats,
} from './lib/config.js';

export const options = {
  summaryTrendStats,
  scenarios: {
    api: { executor: 'constant-vus', vus: settings.api.users, duration: duration(settings.api.seconds) },
  },
  thresholds: apiThresholds,
};

export function setup() {
  const res = http.get(`${BASE_URL}/v1/conversations?limit=1`, { headers: apiHeaders });
  const documents = http.get(`${BASE_URL}/v1/documents?limit=1`, { headers: apiHeaders });
  return { conversationId: res.json('items.0.id'), documentId: documents.json('items.0.id') };
}

export default function (data) {
  const get = (path, name) =>
    checkOk(http.get(`${BASE_URL}${path}`, { headers: apiHeaders, tags: { name } }), name);
  get('/v1/documents?limit=20', 'list documents');
  get('/v1/conversations?limit=20', 'list conversations');
  if (data.documentId) get(`/v1/documents/${data.documentId}`, 'document detail');
  if (data.conversationId) get(`/v1/conversations/${data.conversationId}`, 'conversation detail');
  get('/v1/organization', 'organization');
  if (__ITER % 10 === 0) {
    const body = JSON.stringify({ visitorId: `k6-${__VU}-${__ITER}` });
    checkOk(
      http.post(`${BASE_URL}/v1/conversations`, body, {
        headers: apiHeaders,
        tags: { name: 'create conversation' },
      }),
      'create conversation',
    );
  }
  sleep(0.1);
}
