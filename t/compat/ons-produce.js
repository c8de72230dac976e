// node ons-produce.js TOPIC COUNT [TAG] [KEYPREFIX]: sends COUNT messages "m<i>" with ali-ons's
// Producer and prints one JSON line per send result. Exit 1 if any send failed.
'use strict';
const { Producer, Message } = require('ali-ons');
const { common, out } = require('./ons-common');

async function main() {
  const [topic, count, tag = 'TagA', keyPrefix = 'key-'] = process.argv.slice(2);
  const producer = new Producer({ ...common, producerGroup: 'PG_COMPAT' });
  await producer.ready();
  let failed = 0;
  for (let i = 0; i < Number(count); i++) {
    const msg = new Message(topic, tag, `m${i}`);
    msg.keys = [`${keyPrefix}${i}`];
    try {
      const r = await producer.send(msg);
      out({ n: i, status: r.sendStatus, msgId: r.msgId, broker: r.messageQueue.brokerName,
            queueId: Number(r.messageQueue.queueId), queueOffset: r.queueOffset });
    } catch (e) {
      failed++;
      out({ n: i, error: String(e && e.message || e) });
    }
  }
  await producer.close();
  process.exit(failed ? 1 : 0);
}
main().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(2); });
