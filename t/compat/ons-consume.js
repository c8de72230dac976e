// node ons-consume.js GROUP TOPIC EXPR COUNT [--broadcast] [--fail N] [--timeout S]
//                     [--queues FILE]
// Consumes with ali-ons's push Consumer (clustering unless --broadcast) and prints one JSON
// line per message handed to the handler, until COUNT messages succeeded or the timeout
// (default 30 s). With --fail N the handler fails the first N deliveries of each message
// body, so they come back through %RETRY%GROUP. With --queues FILE the ids of the TOPIC
// queues this member holds after its last rebalance are kept in FILE (one line, sorted), so
// a test can wait for a rebalance instead of guessing its time. Exit 0 when COUNT were
// consumed, 1 on timeout.
'use strict';
const { Consumer } = require('ali-ons');
const { common, out } = require('./ons-common');

async function main() {
  const args = process.argv.slice(2);
  const [group, topic, expr, count] = args;
  const opt = (name, dflt) => { const i = args.indexOf(name); return i < 0 ? dflt : args[i + 1]; };
  const broadcast = args.includes('--broadcast');
  const failures = Number(opt('--fail', 0));
  const timeout = Number(opt('--timeout', 30)) * 1000;
  const consumer = new Consumer({
    ...common, consumerGroup: group, isBroadcast: broadcast,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', persistent: false,
    // a second consumer of the group takes its queues at the next rebalance; keep it short
    rebalanceInterval: 2000, pollNameServerInteval: 2000, heartbeatBrokerInterval: 5000,
  });
  consumer.on('error', (e) => process.stderr.write(`ali-ons error: ${e && e.message || e}\n`));
  const seen = new Map();
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  consumer.subscribe(topic, expr, async (msg) => {
    const body = msg.body.toString();
    const tries = (seen.get(body) || 0) + 1;
    seen.set(body, tries);
    out({ topic: msg.topic, body, tags: msg.tags, keys: msg.keys, msgId: msg.msgId,
          queueId: msg.queueId, queueOffset: msg.queueOffset, reconsumeTimes: msg.reconsumeTimes });
    if (tries <= failures)
      throw new Error(`failing delivery ${tries} of ${body} on purpose`);
    // ali-ons records the consumed offset after the handler returns: finish a bit later so
    // close() commits the last message too
    if (++done >= Number(count))
      setTimeout(() => finish(true), 200);
  });
  await consumer.ready();
  const queuesFile = opt('--queues', null);
  if (queuesFile) {
    const fs = require('fs');
    setInterval(() => {
      const ids = [];
      for (const pq of consumer.processQueueTable.values())
        if (pq && !pq.processQueue.droped && pq.messageQueue.topic === topic)
          ids.push(pq.messageQueue.queueId);
      fs.writeFileSync(`${queuesFile}.tmp`, `${ids.sort((a, b) => a - b).join(' ')}\n`);
      fs.renameSync(`${queuesFile}.tmp`, queuesFile);
    }, 100);
  }
  const ok = await Promise.race([finished, new Promise((r) => setTimeout(() => r(false), timeout))]);
  await consumer.close();   // commits the offsets (UPDATE_CONSUMER_OFFSET), unregisters
  process.exit(ok ? 0 : 1);
}
main().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(2); });
