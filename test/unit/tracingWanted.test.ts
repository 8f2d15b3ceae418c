import { describe, expect, it } from 'vitest';
import { tracing, tracingWanted } from '../../core/tracing.ts';

describe('tracingWanted: the standard OTEL_* variables decide', () => {
  it('asks for traces with an OTLP endpoint or a named exporter', () => {
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(
      true,
    );
    expect(tracingWanted({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  });

  it('does not without them, with the SDK disabled, or with no exporter', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_SERVICE_NAME: 'dpbot' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe(
      false,
    );
    expect(
      tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBe(false);
  });

  it('records nothing and runs the work when tracing was not started', async () => {
    expect(tracing().on).toBe(false);
    expect(await tracing().span('x', {}, async () => 7)).toBe(7);
    expect(tracing().traceparent()).toBeUndefined();
    expect(tracing().traceId()).toBeUndefined();
  });
});
