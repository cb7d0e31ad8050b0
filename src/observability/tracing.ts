import { context, propagation, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { RequestHandler } from 'express';

/**
 * OpenTelemetry traces: API request → workflow start → workflow → activities, one trace per request
 * (Temporal's interceptors carry the context in workflow and activity headers). Off unless an OTLP
 * endpoint is configured; then the API and the worker each run the Node SDK with a batching exporter.
 */
export interface Tracing {
  enabled: boolean;
  /** Where the worker's workflow spans go (they leave the sandbox through a sink). */
  spanProcessor: SpanProcessor;
  resource: Resource;
  shutdown(): Promise<void>;
}

export function startTracing(options: {
  serviceName: string;
  otlpEndpoint?: string;
  /** Tests pass an in-memory exporter (exported span by span). */
  exporter?: SpanExporter;
  processor?: SpanProcessor;
}): Tracing {
  const resource = new Resource({ 'service.name': options.serviceName });
  const processor =
    options.processor ??
    (options.exporter
      ? new BatchSpanProcessor(options.exporter)
      : options.otlpEndpoint
        ? new BatchSpanProcessor(
            new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }),
          )
        : undefined);
  if (!processor) {
    return { enabled: false, spanProcessor: new NoopSpanProcessor(), resource, shutdown: async () => {} };
  }
  // No auto-instrumentation: the spans that matter are made explicitly (below and by Temporal).
  const sdk = new NodeSDK({ resource, spanProcessors: [processor], instrumentations: [] });
  sdk.start();
  return { enabled: true, spanProcessor: processor, resource, shutdown: () => sdk.shutdown() };
}

/**
 * One server span per HTTP request, continuing a caller's `traceparent`. The workflow client
 * interceptor makes the workflow start a child of it.
 */
export function tracingMiddleware(tracer: Tracer = trace.getTracer('parley-api')): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      `${req.method} ${req.path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } },
      parent,
    );
    res.once('finish', () => {
      const pattern = (req.route as { path?: string } | undefined)?.path;
      if (pattern) span.updateName(`${req.method} ${req.baseUrl}${pattern}`);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
