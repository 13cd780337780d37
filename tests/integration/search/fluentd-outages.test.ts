import { startFluentdFake } from '../../fakes/fluentd.ts';
import { fluentdOutageSuite } from '../../helpers/fluentd-outages.ts';

// The fluentd chapter's outage cases against the real Elasticsearch node and the fluentd fake
// (tests/fakes/fluentd.ts, as fluentd 1.19.3 was recorded), with short flush and retry times.
fluentdOutageSuite(({ esUrl, forwardPort, monitorPort }) =>
  startFluentdFake({
    esUrl,
    forwardPort,
    monitorPort,
    flushIntervalMs: 500,
    retryWaitMs: 100,
    retryMaxIntervalMs: 400,
    restartIntervalMs: 200,
  }),
);
