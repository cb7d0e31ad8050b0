import type { Config } from '../../config';
import { html, type SafeHtml } from '../html';

/** The page of a workflow in the Temporal Web UI (TEMPORAL_UI_URL), where operators see every step. */
export function temporalRunUrl(config: Pick<Config, 'temporal'>, workflowId: string): string {
  const base = config.temporal.uiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function temporalRunLink(config: Pick<Config, 'temporal'>, workflowId: string): SafeHtml {
  return html`<a href="${temporalRunUrl(config, workflowId)}" target="_blank" rel="noopener noreferrer"
    ><code>${workflowId}</code> in the Temporal UI</a
  >`;
}
