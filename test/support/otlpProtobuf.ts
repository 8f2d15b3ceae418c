import { createServer, type Server } from 'node:http';

/**
 * An OTLP/HTTP protobuf trace export (ExportTraceServiceRequest, opentelemetry-proto's
 * trace/v1/trace.proto and common/v1/common.proto) read into the shape of its OTLP/JSON form
 * (ids as hex, kind as a number, attribute values under stringValue, intValue, boolValue,
 * doubleValue), so that tests and benchmarks read either protocol alike. Only the fields dpbot's
 * tests look at are read; the others are skipped by wire type, as a protobuf reader must.
 */

export interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
export interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number; message?: string };
}
export interface OtlpExport {
  resourceSpans: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans: { scope?: { name?: string }; spans?: OtlpSpan[] }[];
  }[];
}

type Field = { field: number; varint: bigint; bytes: Buffer | undefined };

/** The fields of one message, in order (a repeated field once per element). */
function* fields(buf: Buffer): Generator<Field> {
  let i = 0;
  const varint = (): bigint => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('OTLP protobuf: a varint runs past the end of its message');
      const byte = buf[i++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { field, varint: varint(), bytes: undefined };
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      yield { field, varint: 0n, bytes: buf.subarray(i, i + size) };
      i += size;
    } else if (wire === 2) {
      const length = Number(varint());
      if (i + length > buf.length)
        throw new Error(`OTLP protobuf: field ${field} runs past the end of its message`);
      yield { field, varint: 0n, bytes: buf.subarray(i, i + length) };
      i += length;
    } else throw new Error(`OTLP protobuf: wire type ${wire} of field ${field} is not one OTLP uses`);
  }
}

const text = (f: Field): string => (f.bytes ?? Buffer.alloc(0)).toString('utf8');
const hex = (f: Field): string => (f.bytes ?? Buffer.alloc(0)).toString('hex');

function anyValue(buf: Buffer): OtlpValue {
  const value: OtlpValue = {};
  for (const f of fields(buf)) {
    if (f.field === 1) value.stringValue = text(f);
    else if (f.field === 2) value.boolValue = f.varint !== 0n;
    else if (f.field === 3) value.intValue = BigInt.asIntN(64, f.varint).toString();
    else if (f.field === 4 && f.bytes) value.doubleValue = f.bytes.readDoubleLE(0);
  }
  return value;
}

function keyValue(buf: Buffer): OtlpAttribute {
  let key = '';
  let value: OtlpValue = {};
  for (const f of fields(buf)) {
    if (f.field === 1) key = text(f);
    else if (f.field === 2 && f.bytes) value = anyValue(f.bytes);
  }
  return { key, value };
}

function span(buf: Buffer): OtlpSpan {
  const out: OtlpSpan = { traceId: '', spanId: '', name: '', kind: 0 };
  const attributes: OtlpAttribute[] = [];
  const links: { traceId: string; spanId: string }[] = [];
  for (const f of fields(buf)) {
    if (f.field === 1) out.traceId = hex(f);
    else if (f.field === 2) out.spanId = hex(f);
    else if (f.field === 4) out.parentSpanId = hex(f);
    else if (f.field === 5) out.name = text(f);
    else if (f.field === 6) out.kind = Number(f.varint);
    else if (f.field === 9 && f.bytes) attributes.push(keyValue(f.bytes));
    else if (f.field === 13 && f.bytes) {
      const link = { traceId: '', spanId: '' };
      for (const g of fields(f.bytes)) {
        if (g.field === 1) link.traceId = hex(g);
        else if (g.field === 2) link.spanId = hex(g);
      }
      links.push(link);
    } else if (f.field === 15 && f.bytes) {
      const status: { code?: number; message?: string } = {};
      for (const g of fields(f.bytes)) {
        if (g.field === 2) status.message = text(g);
        else if (g.field === 3) status.code = Number(g.varint);
      }
      out.status = status;
    }
  }
  if (attributes.length > 0) out.attributes = attributes;
  if (links.length > 0) out.links = links;
  return out;
}

function decodeOtlpTraces(message: Buffer): OtlpExport {
  const out: OtlpExport = { resourceSpans: [] };
  for (const r of fields(message)) {
    if (r.field !== 1 || !r.bytes) continue;
    const resourceSpans: OtlpExport['resourceSpans'][number] = { scopeSpans: [] };
    for (const f of fields(r.bytes)) {
      if (f.field === 1 && f.bytes) {
        const attributes: OtlpAttribute[] = [];
        for (const g of fields(f.bytes)) if (g.field === 1 && g.bytes) attributes.push(keyValue(g.bytes));
        resourceSpans.resource = { attributes };
      } else if (f.field === 2 && f.bytes) {
        const scopeSpans: { scope?: { name?: string }; spans?: OtlpSpan[] } = {};
        const spans: OtlpSpan[] = [];
        for (const g of fields(f.bytes)) {
          if (g.field === 1 && g.bytes) {
            for (const h of fields(g.bytes)) if (h.field === 1) scopeSpans.scope = { name: text(h) };
          } else if (g.field === 2 && g.bytes) spans.push(span(g.bytes));
        }
        if (spans.length > 0) scopeSpans.spans = spans;
        resourceSpans.scopeSpans.push(scopeSpans);
      }
    }
    out.resourceSpans.push(resourceSpans);
  }
  return out;
}

/** Every span of an export, whichever resource and scope it came under. */
export const otlpSpans = (e: OtlpExport): OtlpSpan[] =>
  e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans ?? []));

/**
 * An OTLP/HTTP trace receiver, not yet listening: each export is read as its content type says
 * (protobuf or JSON), handed to `onExport` with its path, and answered as that protocol expects.
 */
export function otlpReceiver(onExport: (received: OtlpExport, path: string | undefined) => void): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const json = String(req.headers['content-type']).includes('json');
      const body = Buffer.concat(chunks);
      onExport(json ? (JSON.parse(body.toString('utf8')) as OtlpExport) : decodeOtlpTraces(body), req.url);
      if (json) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
}
