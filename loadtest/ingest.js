// Ingestion burst: 50 documents uploaded at once, each followed until it is ready.
// k6 run -e BASE_URL=… -e API_KEY=prly_… loadtest/ingest.js
import http from 'k6/http';
import { sleep } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import {
  API_KEY,
  BASE_URL,
  apiHeaders,
  apiThresholds,
  checkOk,
  settings,
  summaryTrendStats,
} from './lib/config.js';

const readyMs = new Trend('ingest_ready_ms', true);
const failed = new Rate('ingest_failed');

export const options = {
  summaryTrendStats,
  scenarios: {
    burst: {
      executor: 'per-vu-iterations',
      vus: settings.ingest.documents,
      iterations: 1,
      maxDuration: '10m',
    },
  },
  thresholds: { ...apiThresholds, ingest_failed: [`rate<${settings.thresholds.errorRate}`] },
};

export default function () {
  const text =
    `# Load test article ${__VU}\n\n` +
    'Orders ship within two working days. '.repeat(200) +
    `Reference ${__VU}-${Date.now()}.\n`;
  const started = Date.now();
  const upload = http.post(
    `${BASE_URL}/v1/documents/upload`,
    { file: http.file(text, `article-${__VU}.md`, 'text/markdown') },
    { headers: { Authorization: `Bearer ${API_KEY}` }, tags: { name: 'upload' } },
  );
  if (!checkOk(upload, 'upload')) {
    failed.add(1);
    return;
  }
  const id = upload.json('id');
  for (let i = 0; i < 600; i++) {
    const doc = http.get(`${BASE_URL}/v1/documents/${id}`, {
      headers: apiHeaders,
      tags: { name: 'document detail' },
    });
    const status = doc.json('status');
    if (status === 'ready' || status === 'failed') {
      failed.add(status === 'failed');
      if (status === 'ready') readyMs.add(Date.now() - started);
      return;
    }
    sleep(0.5);
  }
  failed.add(1);
}
