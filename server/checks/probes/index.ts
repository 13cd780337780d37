import type { ProbeRegistry } from '../types.ts';
import { commandModule } from './command.ts';
import { containerModule } from './container.ts';
import { dvcModule } from './dvc.ts';
import { elasticsearchModule } from './elasticsearch.ts';
import { fileModule } from './file.ts';
import { fluentdModule } from './fluentd.ts';
import { httpModule } from './http.ts';
import { kibanaModule } from './kibana.ts';
import { mlflowModule } from './mlflow.ts';
import { preflightModule } from './preflight.ts';
import { tcpModule } from './tcp.ts';

/**
 * The registry of probe kinds: the only place that imports every probe module.
 * Add a kind: write protocol/probes/<kind>.ts and server/checks/probes/<kind>.ts, then list it
 * here and in protocol/probes/index.ts (`npm run typecheck` fails until both lists agree).
 */
export const probeModules: ProbeRegistry = {
  command: commandModule,
  file: fileModule,
  tcp: tcpModule,
  http: httpModule,
  container: containerModule,
  preflight: preflightModule,
  elasticsearch: elasticsearchModule,
  kibana: kibanaModule,
  fluentd: fluentdModule,
  mlflow: mlflowModule,
  dvc: dvcModule,
};
