#!/usr/bin/env node
// bench/pubsub/publish.js — the reference publisher of bench/pubsub.sh: the official
// Node.js client (@google-cloud/pubsub) publishing outbreak's records to a topic of the
// local Pub/Sub emulator, with the client's own batching, and timing every publish.
//
// Usage: node publish.js --records FILE --topic NAME [--count N] [--inflight N]
//                        [--max-messages N] [--max-ms MS] [--json OUT] [--keep-topic]
//   --records FILE     a JSON array of records (`outbreak records -n 1000 --seed 1`),
//                      cycled; each gets outbreak's metadata suffix: run, producer, seq,
//                      sent_ns (so messages are the same size as outbreak's)
//   --topic NAME       created before the run (an existing one is reused) and deleted
//                      after it unless --keep-topic
//   --count N          records to publish (default 200000)
//   --inflight N       at most N publishes not yet resolved (default 65536, outbreak's
//                      --max-inflight)
//   --max-messages N   the client's batching.maxMessages (default 1000)
//   --max-ms MS        the client's batching.maxMilliseconds (default 10)
//   --json OUT         the figures as JSON too
// Needs PUBSUB_EMULATOR_HOST (e.g. 127.0.0.1:8085); the project is outbreak-local
// (PUBSUB_PROJECT_ID to change it).
//
// One publish before the timed run, not counted, opens the connection. Every publish()
// promise is awaited. Rate: records resolved / the time from the first
// publish() call to the last resolution. Latency: per record, from its publish() call to
// its promise resolving (the message id is back), in ms.
'use strict';

const fs = require('fs');
// No Google Cloud metadata server here: without this, the auth library probes for one
// (and warns) although the emulator needs no credentials.
if (!process.env.METADATA_SERVER_DETECTION) process.env.METADATA_SERVER_DETECTION = 'none';
const {PubSub} = require('@google-cloud/pubsub');

function usage(msg) {
  if (msg) process.stderr.write(`publish.js: ${msg}\n`);
  process.stderr.write('usage: node publish.js --records FILE --topic NAME [--count N] ' +
                       '[--inflight N] [--max-messages N] [--max-ms MS] [--json OUT] [--keep-topic]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = {count: 200000, inflight: 65536, maxMessages: 1000, maxMs: 10, keepTopic: false};
  const num = (k, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) usage(`${k} needs a positive integer, not '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => (i + 1 < argv.length ? argv[++i] : usage(`${k} needs a value`));
    switch (k) {
      case '--records': o.records = v(); break;
      case '--topic': o.topic = v(); break;
      case '--count': o.count = num(k, v()); break;
      case '--inflight': o.inflight = num(k, v()); break;
      case '--max-messages': o.maxMessages = num(k, v()); break;
      case '--max-ms': o.maxMs = num(k, v()); break;
      case '--json': o.json = v(); break;
      case '--keep-topic': o.keepTopic = true; break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument '${k}'`);
    }
  }
  if (!o.records || !o.topic) usage('--records and --topic are required');
  if (!process.env.PUBSUB_EMULATOR_HOST) usage('PUBSUB_EMULATOR_HOST is not set');
  return o;
}

// The bodies of the records without their closing brace, ready for the metadata suffix:
// outbreak encodes `{"name":...,"state":"..."` + `,"run":"RUN","producer":0,"seq":N,"sent_ns":NS}`.
function loadBodies(file) {
  const recs = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(recs) || recs.length === 0) usage(`${file}: not a non-empty JSON array`);
  return recs.map((r) => JSON.stringify(r).slice(0, -1));
}

// A run id shaped like outbreak's default (UTC time and a 4-hex-digit suffix).
function runId() {
  const t = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${t}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const bodies = loadBodies(o.records);
  const run = runId();
  const pubsub = new PubSub({projectId: process.env.PUBSUB_PROJECT_ID || 'outbreak-local'});
  const [exists] = await pubsub.topic(o.topic).exists();
  if (!exists) await pubsub.createTopic(o.topic);
  const topic = pubsub.topic(o.topic, {
    batching: {maxMessages: o.maxMessages, maxMilliseconds: o.maxMs},
  });
  // One message first, not counted: it opens the gRPC channel, which outbreak's
  // adapter also does before its run starts.
  await topic.publishMessage({data: Buffer.from(`${bodies[0]}}`)});

  const lat = new Float64Array(o.count);  // ms, per record
  let bytes = 0, done = 0, failed = 0, inflight = 0, firstError = null;
  let wake = null;  // resolves the sender's wait when a slot frees up
  const wallNs0 = BigInt(Date.now()) * 1000000n;
  const t0 = process.hrtime.bigint();
  let tLast = t0;

  for (let seq = 0; seq < o.count; seq++) {
    if (inflight >= o.inflight) await new Promise((r) => { wake = r; });
    const start = process.hrtime.bigint();
    const sentNs = wallNs0 + (start - t0);
    const data = Buffer.from(`${bodies[seq % bodies.length]},"run":"${run}","producer":0,` +
                             `"seq":${seq},"sent_ns":${sentNs}}`);
    bytes += data.length;
    inflight++;
    topic.publishMessage({data}).then(() => {
      const end = process.hrtime.bigint();
      lat[seq] = Number(end - start) / 1e6;
      tLast = end;
      done++;
    }, (err) => {
      tLast = process.hrtime.bigint();
      lat[seq] = NaN;
      failed++;
      if (!firstError) firstError = err;
    }).finally(() => {
      inflight--;
      if (wake && inflight < o.inflight) { const w = wake; wake = null; w(); }
    });
  }
  await topic.flush();
  while (inflight > 0) await new Promise((r) => { wake = r; });
  const secs = Number(tLast - t0) / 1e9;

  const ok = Array.from(lat).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const mean = ok.reduce((s, x) => s + x, 0) / (ok.length || 1);
  const res = {
    client: '@google-cloud/pubsub ' + require('@google-cloud/pubsub/package.json').version,
    node: process.version,
    topic: o.topic,
    batching: {maxMessages: o.maxMessages, maxMilliseconds: o.maxMs},
    inflight: o.inflight,
    records: o.count,
    acked: done,
    failed,
    seconds: secs,
    records_per_s: done / secs,
    avg_record_bytes: bytes / o.count,
    latency_ms: {
      min: ok[0] ?? null, mean: ok.length ? mean : null, p50: percentile(ok, 0.5),
      p75: percentile(ok, 0.75), p95: percentile(ok, 0.95), p99: percentile(ok, 0.99),
      'p99.9': percentile(ok, 0.999), max: ok[ok.length - 1] ?? null,
    },
  };
  if (firstError) res.first_error = String(firstError.message || firstError);

  console.log(`${res.client} (${res.node}) -> topic ${o.topic}, batching maxMessages ` +
              `${o.maxMessages} maxMilliseconds ${o.maxMs}, at most ${o.inflight} in flight`);
  console.log(`${done} records published (${failed} failed) in ${secs.toFixed(2)} s: ` +
              `${res.records_per_s.toFixed(0)} records/s, ${res.avg_record_bytes.toFixed(1)} bytes avg`);
  const l = res.latency_ms;
  const f = (x) => (x === null ? '-' : x.toFixed(3));
  console.log(`latency publish -> resolved (ms): min ${f(l.min)} p50 ${f(l.p50)} p75 ${f(l.p75)} ` +
              `p95 ${f(l.p95)} p99 ${f(l.p99)} p99.9 ${f(l['p99.9'])} max ${f(l.max)}`);
  if (firstError) console.error(`publish.js: first error: ${res.first_error}`);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(res, null, 2) + '\n');

  await topic.flush();
  if (!o.keepTopic) await pubsub.topic(o.topic).delete().catch((e) => {
    console.error(`publish.js: could not delete topic ${o.topic}: ${e.message}`);
  });
  await pubsub.close();
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(`publish.js: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
