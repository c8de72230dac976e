// Options every ali-ons client here shares: the name servers in $NAMESRV_ADDR (';'
// separated, as RocketMQ's), no Aliyun HTTP address server, no AccessKey, no namespace.
'use strict';
const nameSrv = (process.env.NAMESRV_ADDR || '127.0.0.1:9876').split(';').filter(Boolean);
exports.common = {
  nameSrv,
  // ali-ons asserts an httpclient even when nameSrv is given; it is only used for onsAddr
  httpclient: { request() { throw new Error('unused'); } },
  logger: { info() {}, warn() {}, debug() {}, error(e) { process.stderr.write(`ali-ons: ${e && e.stack || e}\n`); } },
};
exports.out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
